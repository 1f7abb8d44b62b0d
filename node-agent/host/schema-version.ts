/**
 * Version of the host facts document (see facts.ts for its rules). Kept apart from facts.ts so the
 * agent, which only produces facts, does not load zod: the schema is for consumers and tests.
 */
export const HOST_FACTS_SCHEMA_VERSION = 1;
