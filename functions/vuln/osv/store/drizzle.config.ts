/** drizzle-kit config for the vuln DB tables: `npx drizzle-kit generate --config functions/vuln/osv/store/drizzle.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './functions/vuln/osv/store/schema.ts',
  out: './functions/vuln/osv/store/migrations',
});
