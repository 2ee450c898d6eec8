/** Who is calling: the organization their token is bound to, and a subject for logs. */
export interface Caller {
  org: string;
  /** "token:<prefix>" for static tokens, the client id for service-account JWTs. */
  subject: string;
  /** When the token expires (epoch ms); absent for tokens that do not. */
  validUntil?: number;
}

/** What the caller wants to do with an app: reading and invoking are allowed on the `public` org. */
export type Access = "read" | "invoke" | "write";
