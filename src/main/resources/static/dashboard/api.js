// The dashboard's only access to the platform: the public /v1 API with the signed-in key as a Bearer token.

const KEY = 'carbonledger.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** An API error: the HTTP status and the RFC 9457 problem's detail (and field, when one input is at fault). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

async function send(path, { method = 'GET', body, contentType, key = session.key(), as = 'json' } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (contentType) headers['Content-Type'] = contentType;
  let response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, { detail: 'The platform cannot be reached: check that it is running, then reload.' });
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch (e) { /* not a problem document */ }
    throw new ApiError(response.status, problem);
  }
  return as === 'blob' ? response.blob() : response.json();
}

export const get = (path, options) => send(path, options);

/**
 * Every element of a list endpoint. The one place that knows the list shape: a plain JSON array, or a page
 * {items, nextCursor} followed with ?cursor= until no nextCursor is left.
 */
export async function list(path, { maxPages = 100 } = {}) {
  const items = [];
  let url = path;
  for (let page = 0; page < maxPages; page++) {
    const body = await send(url);
    if (Array.isArray(body)) return body;
    items.push(...(body.items || []));
    if (!body.nextCursor) return items;
    url = path + (path.includes('?') ? '&' : '?') + 'cursor=' + encodeURIComponent(body.nextCursor);
  }
  return items;
}

/** Runs the reconciliation with Stripe (operator key); the report says when Stripe is not configured. */
export const reconcile = () => send('/v1/billing/reconciliations', { method: 'POST' });

export const pdf = (receiptId) => send(`/v1/receipts/${encodeURIComponent(receiptId)}/pdf`, { as: 'blob' });

/** Checks a receipt's signature with the platform (no key needed). */
export const verify = (blob) => send('/v1/receipts/verify', {
  method: 'POST', body: blob, contentType: 'application/pdf', key: null,
});

/** Who the key belongs to: {role: 'tenant', tenant} or {role: 'operator'}; an ApiError for a bad key. */
export async function whoAmI(key) {
  try {
    return { role: 'tenant', tenant: await send('/v1/tenants/me', { key }) };
  } catch (e) {
    if (e.status !== 403) throw e;
  }
  try {
    await send('/v1/offsets/lots?limit=1', { key });
  } catch (e) {
    if (e.status !== 403) throw e;
    throw new ApiError(403, { detail: "This key may not read: the dashboard needs a tenant key with the 'read' scope, or the operator key" });
  }
  return { role: 'operator' };
}
