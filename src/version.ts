/** The tool's version (kept equal to package.json's by a test) and the format versions it writes. */
export const TOOL_NAME = 'vmfw-measure';
/** This package's version. */
export const VERSION = '0.2.0';
