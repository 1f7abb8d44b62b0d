export * from './catalog.js';
export * from './build.js';
