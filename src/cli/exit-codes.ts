/** Exit statuses of the CLI. */
export const EXIT_OK = 0;
/** A verification mismatch. */
export const EXIT_MISMATCH = 1;
/** Bad input or usage. */
export const EXIT_INPUT = 2;
/** A bug in this tool. */
export const EXIT_INTERNAL = 3;
/** No digest by design: the update is disabled (regions: control.DISABLE). */
export const EXIT_NO_DIGEST = 4;
