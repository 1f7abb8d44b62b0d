import { describe, expect, it } from 'vitest';
import { requestUrl } from './request.js';

/** What the engine read before: the WHATWG URL of the request target. */
type Read = { pathname: string; query: [string, string][] } | 'invalid';

/** What the engine read before: the WHATWG URL of the request target (a throw is a 500 either way). */
function viaUrl(raw: string): Read {
  try {
    const u = new URL(raw, 'http://localhost');
    return { pathname: u.pathname, query: [...u.searchParams] };
  } catch {
    return 'invalid';
  }
}

function viaRequestUrl(raw: string): Read {
  try {
    const u = requestUrl(raw);
    return { pathname: u.pathname, query: [...u.searchParams] };
  } catch {
    return 'invalid';
  }
}

describe('requestUrl', () => {
  const cases = [
    '/',
    '/apis/spdx.softwarecomposition.kubescape.io/v1beta1/namespaces/ns/vulnerabilitymanifests',
    '/apis/g/v1/namespaces/ns/things/name?dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    '/api/v1/pods?labelSelector=app+in+(a,b),!x&fieldSelector=metadata.name%3Dfoo&limit=2',
    '/apis/g/v1/things?watch=1&resourceVersion=12&timeoutSeconds=30&allowWatchBookmarks=true',
    '/apis/g/v1/things?labelSelector=a%20b&x=%zz&y=1+2&z=%E2%82%AC',
    '/apis/g/v1/things?',
    '/apis/g/v1/things?a=b#frag',
    '/apis/g/v1/things/%2e%2e/x',
    '/apis/g/v1/../../api/v1/pods',
    '/apis/./g/v1/things',
    '/apis/g/v1/things/.',
    '/apis/g/v1/things/..',
    '/apis/g/v1/things/..x/.y/',
    '//evil.example/apis/g/v1/things',
    '/apis/g/v1/th\\ings',
    '/apis/g/v1/things/na me',
    '/apis/g/v1/things/n"a<m>e`{}',
    "/apis/g/v1/things/n'a;m=e:@!$&()*+,",
    '/apis/g/v1/things/\u00e9t\u00e9?q=\u00e9',
    '/healthz/ping?verbose&exclude=store&exclude=shutdown',
    '/openapi/v3/apis/g/v1?hash=ABC123',
    '/apis/g/v1/things?q="x y"&r=<a>&s=\'t\'',
    'relative/path?x=1',
    '',
  ];
  for (const raw of cases)
    it(`reads ${JSON.stringify(raw)} as URL does`, () => {
      expect(viaRequestUrl(raw)).toEqual(viaUrl(raw));
    });

  it('agrees with URL on random request targets', () => {
    const alphabet = ['/', '/', '/', '.', '..', '%', '%2e', '%2F', '?', '&', '=', '#', '+', ' ', '\\', 'a', 'B', '0', '-', '_', '~', ':', '@', ';', ',', '"', "'", '<', '`', '{', '\u00e9', '\t'];
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let raw = '/';
      const len = 1 + rnd(12);
      for (let j = 0; j < len; j++) raw += alphabet[rnd(alphabet.length)];
      expect(viaRequestUrl(raw), raw).toEqual(viaUrl(raw));
    }
  });
});
