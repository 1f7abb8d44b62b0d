export * from './constants.js';
export * from './schemas.js';
export * from './names.js';
export * from './jsonschema.js';
