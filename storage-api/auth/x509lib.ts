/**
 * The one place that loads @peculiar/x509. Version 2 resolves its ASN.1 providers through
 * tsyringe, which needs a Reflect metadata polyfill loaded BEFORE the library (ESM evaluates
 * imports in order, so this module's first import is the polyfill), and we point it at Node's
 * WebCrypto explicitly instead of relying on a global.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
