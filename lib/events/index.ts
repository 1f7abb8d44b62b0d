export * from './catalog.js';
export * from './build.js';
export * from './routes.js';
