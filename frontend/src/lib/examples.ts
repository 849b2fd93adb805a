/**
 * The landing page's example pictures: files of the site (public/examples/), made from the repository's own test
 * photos by the offline provider (`.venv/bin/python scripts/make_examples.py`). Sizes are the files' own, so the
 * page reserves their space before they arrive.
 */
export interface ExampleImage {
  src: string;
  width: number;
  height: number;
  alt: string;
}

const file = (name: string) => `${import.meta.env.BASE_URL}examples/${name}`;

const ASTRONAUT = "Astronaut Eileen Collins";

/** What each style made of the same portrait, by style id (GET /styles); a style not here has no sample yet. */
export const STYLE_SAMPLES: Record<string, ExampleImage> = {
  superhero: {
    src: file("astronaut-superhero.webp"),
    width: 480,
    height: 480,
    alt: `${ASTRONAUT} as an epic superhero: red and gold comic rays around a bold inked panel`,
  },
  marvel: {
    src: file("astronaut-marvel.webp"),
    width: 480,
    height: 480,
    alt: `${ASTRONAUT} in the Marvel Cinematic style: blue and orange grading on a comic burst`,
  },
  dc: {
    src: file("astronaut-dc.webp"),
    width: 480,
    height: 480,
    alt: `${ASTRONAUT} in the DC Dark Knight style: a cold, dark noir grade on grey rays`,
  },
};

export interface BeforeAfterExample {
  id: string;
  /** The id of the style the "after" was made in. */
  style: string;
  before: ExampleImage;
  after: ExampleImage;
}

export const BEFORE_AFTER: BeforeAfterExample[] = [
  {
    id: "astronaut",
    style: "superhero",
    before: {
      src: file("astronaut-photo.webp"),
      width: 480,
      height: 480,
      alt: `Before: the official portrait photo of ${ASTRONAUT} in her orange flight suit`,
    },
    after: {
      src: file("astronaut-superhero.webp"),
      width: 480,
      height: 480,
      alt: `After: the same portrait as an epic superhero comic panel`,
    },
  },
  {
    id: "cat",
    style: "marvel",
    before: {
      src: file("cat-photo.webp"),
      width: 451,
      height: 300,
      alt: "Before: a photo of Chelsea, a tabby cat, looking into the camera",
    },
    after: {
      src: file("cat-marvel.webp"),
      width: 451,
      height: 300,
      alt: "After: Chelsea the cat in the Marvel Cinematic style, framed by blue and orange rays",
    },
  },
];
