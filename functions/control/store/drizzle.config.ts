/** drizzle-kit config for the control function's tables: `npx drizzle-kit generate --config functions/control/store/drizzle.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './functions/control/store/schema.ts',
  out: './functions/control/store/migrations',
});
