// The console's entry: login, who is logged in, errors, and the two pages (the landing
// view and a release), chosen by the location hash so that nothing reloads.

import { api, token, ApiError } from './api.js';
import { el } from './dom.js';
import { showLanding } from './landing.js';
import { showRelease } from './release.js';

const main = document.getElementById('main');
const errors = document.getElementById('errors');
const who = document.getElementById('who');
const logout = document.getElementById('logout');

let me = null;
let leavePage = () => {};

/** Shows `message` as the one error of the page. */
function showError(message) {
  errors.replaceChildren(
    el('div', { class: 'error', role: 'alert', testid: 'error-message', text: message }),
  );
}

function clearError() {
  errors.replaceChildren();
}

/** Back to the token form, with `message` as an error when there is one. */
function loginForm(message) {
  leavePage();
  leavePage = () => {};
  me = null;
  token.clear();
  who.textContent = '';
  logout.hidden = true;
  const input = el('input', {
    type: 'password', testid: 'token-input', autocomplete: 'off', id: 'token',
    placeholder: 'Bearer token',
  });
  const submit = () => login(input.value.trim());
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') submit(); });
  main.replaceChildren(el('div', { class: 'login panel' },
    el('h2', { text: 'Log in' }),
    el('label', { for: 'token', text: 'Admin API token' }),
    input,
    el('button', { type: 'button', testid: 'login', onclick: submit, text: 'Log in' }),
    el('p', { class: 'muted', text: 'The token stays in this tab only and is sent to the API as a bearer token.' })));
  if (message) showError(message); else clearError();
  input.focus();
}

async function login(value) {
  clearError();
  if (!value) {
    showError('Paste a token first.');
    return;
  }
  token.set(value);
  await route();
}

/** What every page does with a failed call: a 401 logs out, anything else shows. */
function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    loginForm(`Not logged in: ${error.message}`);
  } else {
    showError(error instanceof ApiError ? error.message : String(error));
  }
}

async function whoami() {
  me = await api('GET', '/v1/admin/whoami');
  who.textContent = `${me.name} (${me.role})`;
  logout.hidden = false;
}

async function route() {
  leavePage();
  leavePage = () => {};
  if (!token.get()) {
    loginForm();
    return;
  }
  try {
    if (!me) await whoami();
    const page = location.hash.match(/^#\/releases\/(\d+)$/);
    const context = { me, fail, showError, clearError };
    leavePage = page
      ? await showRelease(main, Number(page[1]), context)
      : await showLanding(main, context);
  } catch (error) {
    fail(error);
  }
}

logout.addEventListener('click', () => { location.hash = '#/'; loginForm(); });
window.addEventListener('hashchange', () => { clearError(); route(); });
route();
