/** drizzle-kit config for storage-api's tables: `npx drizzle-kit generate --config storage-api/store/drizzle.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './storage-api/store/schema.ts',
  out: './storage-api/store/migrations',
});
