"""The styles a person can choose, with the prompt each one sends to the image model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    id: str
    name: str
    description: str
    prompt: str


STYLES: dict[str, Style] = {
    s.id: s
    for s in (
        Style(
            id="superhero",
            name="Epic Superhero",
            description="A heroic costume, dramatic cinematic lighting and a movie-poster finish.",
            prompt="""Transform this person into an epic superhero character. Preserve their facial features and identity while adding:
- A heroic costume with bold colors and iconic design elements
- Dramatic cinematic lighting with strong contrast and depth
- A powerful, confident pose that conveys strength and heroism
- Dynamic background with energy effects or cityscape
- Professional comic book or movie poster aesthetic

Maintain the original aspect ratio. Create a stunning, photorealistic superhero transformation that stays true to the person's appearance.""",
        ),
        Style(
            id="marvel",
            name="Marvel Cinematic",
            description="A tactical suit with metallic accents, blue/orange grading and lens flares.",
            prompt="""Transform this person into a Marvel Cinematic Universe superhero. Keep their face recognizable while adding:
- MCU-style tactical superhero suit with metallic accents
- Studio lighting with blue/orange color grading
- Heroic stance with slight lens flare effects
- Urban or cosmic background
- Cinematic movie poster quality

Preserve facial features and maintain original aspect ratio.""",
        ),
        Style(
            id="dc",
            name="DC Dark Knight",
            description="A classic caped costume, noir lighting and a Gotham or Metropolis backdrop.",
            prompt="""Transform this person into a DC Comics superhero. Preserve their identity while adding:
- Classic DC superhero costume with cape and emblem
- Dark, dramatic noir lighting with high contrast
- Powerful heroic pose with determination in their expression
- Gotham city or Metropolis backdrop
- Comic book cover aesthetic with bold colors

Keep facial features intact and maintain aspect ratio.""",
        ),
    )
}

DEFAULT_STYLE = "superhero"
