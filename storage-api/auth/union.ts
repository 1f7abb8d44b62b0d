/**
 * Combining request authenticators the way k8s.io/apiserver's delegating authenticator does:
 * try each method in order, the first success wins, failures are collected, and when nothing
 * succeeds the request is 401. Successful users get `system:authenticated` added (Kubernetes'
 * AuthenticatedGroupAdder) because RBAC bindings such as `system:discovery` rely on it and the
 * SubjectAccessReview we send carries exactly the groups we put here.
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Logger } from '../../lib/log/index.js';
import type { AuthnResult, Authenticator, UserInfo } from './types.js';

export type AuthnAttempt =
  | { status: 'authenticated'; user: UserInfo }
  /** The request carries no credential for this method (no token, no X-Remote-User ...). */
  | { status: 'not-applicable' }
  /** The request carried a credential for this method and it was rejected. */
  | { status: 'failed'; reason: string };

/** One authentication method. `Authenticator` (the engine's contract) is the union of these. */
export interface RequestAuthenticator {
  readonly method: string;
  attempt(req: IncomingMessage): Promise<AuthnAttempt>;
}

export const AUTHENTICATED_GROUP = 'system:authenticated';

/** What 401 responses say. Details stay in the server log: they help attackers more than users. */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized';

export function tlsSocketOf(req: IncomingMessage): TLSSocket | undefined {
  return req.socket instanceof TLSSocket ? req.socket : undefined;
}

export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.name === 'system:anonymous' || user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

export class UnionAuthenticator implements Authenticator {
  constructor(
    private readonly methods: readonly RequestAuthenticator[],
    private readonly log?: Logger,
  ) {}

  async authenticate(req: IncomingMessage): Promise<AuthnResult> {
    const failures: string[] = [];
    for (const m of this.methods) {
      let r: AuthnAttempt;
      try {
        r = await m.attempt(req);
      } catch (e) {
        // A method that throws (bug, unexpected input) must fail closed for itself only.
        r = { status: 'failed', reason: `internal error: ${(e as Error).message}` };
      }
      if (r.status === 'authenticated') {
        this.log?.trace({ method: m.method, user: r.user.name }, 'authenticated');
        return { ok: true, user: withAuthenticatedGroup(r.user) };
      }
      if (r.status === 'failed') failures.push(`${m.method}: ${r.reason}`);
    }
    const reason = failures.length ? failures.join('; ') : 'no credentials (client certificate or bearer token)';
    this.log?.debug({ url: req.url, remote: req.socket.remoteAddress, reason }, 'request not authenticated');
    return { ok: false, status: 401, message: UNAUTHORIZED_MESSAGE };
  }
}
