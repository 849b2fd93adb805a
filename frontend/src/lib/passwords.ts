/** The API's password rule (app/users/auth.py), said before the form is sent. */
export const MIN_PASSWORD_LENGTH = 8;
export const PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters, and not your email address.`;
