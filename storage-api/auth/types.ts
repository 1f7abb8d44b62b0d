/**
 * Authentication and authorization contract between the HTTP engine and storage-api/auth.
 * The engine calls `authenticate` then `authorize` for every request except health and (per the
 * aggregated-API convention) nothing else: discovery and OpenAPI are authorized too.
 */
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Kubernetes SubjectAccessReview resource attributes, as the engine derives them from the URL. */
export interface RequestAttributes {
  verb: string; // get list watch create update patch delete deletecollection
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** For non-resource URLs such as /apis or /openapi/v2. */
  path?: string;
  resourceRequest: boolean;
}

export type AuthnResult =
  | { ok: true; user: UserInfo }
  | { ok: false; status: 401; message: string };

export type AuthzResult =
  | { allowed: true }
  | {
      allowed: false;
      reason: string;
      /**
       * Set when no decision could be obtained (SubjectAccessReview failed or timed out). The
       * request is still refused; kube-apiserver answers 500 here rather than 403, so the engine
       * may do the same. Absent on a real denial.
       */
      unavailable?: true;
    };

export interface Authenticator {
  /** `req.socket` is a TLSSocket when served over TLS; the peer certificate decides front-proxy trust. */
  authenticate(req: IncomingMessage): Promise<AuthnResult>;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: RequestAttributes): Promise<AuthzResult>;
}
