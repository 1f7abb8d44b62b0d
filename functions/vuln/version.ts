/**
 * Tool identity written into SBOMs and cache keys. CATALOGER_VERSION changes whenever a cataloger's
 * output can change for the same image, so cached SBOMs from older code are not reused.
 */
export const TOOL_NAME = 'kscape';
export const TOOL_VERSION = '0.1.0';
export const CATALOGER_VERSION = `${TOOL_VERSION}+catalogers.2`;
