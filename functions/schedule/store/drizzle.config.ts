/** drizzle-kit config for the schedule function's tables: `npx drizzle-kit generate --config functions/schedule/store/drizzle.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './functions/schedule/store/schema.ts',
  out: './functions/schedule/store/migrations',
});
