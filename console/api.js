// The admin API as the console calls it. The token lives in this tab's sessionStorage
// only and travels only in the Authorization header: no cookies, never in a URL.

const KEY = 'graygate.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A refusal or failure, with the server's code and message when it sent them. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * `method path` with an optional JSON body and extra headers (such as If-Match); the
 * parsed answer, or an ApiError.
 */
export async function api(method, path, body, extra = {}) {
  const headers = { ...extra, Authorization: `Bearer ${token.get() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    // A token with characters a header cannot carry fails here, as does a lost network.
    throw new ApiError(0, 'network', `The request did not go through: ${e.message}`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error;
    const message = error ? error.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, error ? error.code : 'http_error', message);
  }
  return data;
}
