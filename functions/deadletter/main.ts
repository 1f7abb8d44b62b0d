/** Container entry for the dead-letter sink: `node dist/functions/deadletter/main.js`. */
import { runFunction } from '../runtime/serve.js';

await runFunction('deadletter', async () => (await import('./index.js')).deadletter);
