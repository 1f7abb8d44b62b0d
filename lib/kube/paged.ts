import { KubeStatusError, type KubeHttp } from './http.js';

/** Iterate a paged list (`limit`/`continue`) without holding more than one page in memory. */
export async function* paged<T>(
  fetchPage: (
    cont: string | undefined,
  ) => Promise<{ items: T[]; metadata?: { _continue?: string; continue?: string } }>,
): AsyncGenerator<T> {
  let cont: string | undefined;
  do {
    const page = await fetchPage(cont);
    yield* page.items;
    cont = page.metadata?._continue || page.metadata?.continue || undefined;
  } while (cont);
}

/**
 * The items of a list path (`/api/v1/pods`, `/apis/<g>/<v>/namespaces/<ns>/<plural>`...), fetched
 * `limit` at a time; a non-2xx answer throws KubeStatusError.
 */
export function listPages<T>(
  http: KubeHttp,
  path: string,
  opts: { limit?: number; accept?: string; labelSelector?: string } = {},
): AsyncGenerator<T> {
  return paged<T>(async (cont) => {
    const q = new URLSearchParams({ limit: String(opts.limit ?? 500) });
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (cont) q.set('continue', cont);
    const r = await http.request('GET', `${path}?${q}`, opts.accept ? { accept: opts.accept } : {});
    if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
    const page = r.body as { items?: T[]; metadata?: { continue?: string } };
    return { items: page.items ?? [], metadata: { continue: page.metadata?.continue ?? '' } };
  });
}
