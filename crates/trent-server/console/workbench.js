// The crypto workbench (#/workbench): encrypt, decrypt, generate data keys, sign, verify and MAC with any key, for testing.
import { kms, h, clear, alertBox, showError, clearError, field, b64encode, b64decode, utf8, fromUtf8, prettyJson } from './core.js';
import { parseContext } from './key.js';

const ALGORITHMS = {
  Encrypt: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'],
  Decrypt: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'],
  GenerateDataKey: [],
  Sign: ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384',
    'RSASSA_PKCS1_V1_5_SHA_512', 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'ED25519_SHA_512', 'ML_DSA_SHAKE_256', 'SM2DSA'],
  GenerateMac: ['HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_384', 'HMAC_SHA_512'],
};
ALGORITHMS.Verify = ALGORITHMS.Sign;
ALGORITHMS.VerifyMac = ALGORITHMS.GenerateMac;
const CONTEXT_OPS = new Set(['Encrypt', 'Decrypt', 'GenerateDataKey']);

export function routes(register) {
  register('/workbench', render);
}

const printable = (bytes) => {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /^[\P{C}\n\r\t]*$/u.test(text) ? text : null;
  } catch {
    return null;
  }
};

async function render(params, container) {
  const error = alertBox('wb-error');
  const operation = h('select', { id: 'wb-operation' }, ...Object.keys(ALGORITHMS).map((o) => h('option', { value: o }, o)));
  const key = h('input', { id: 'wb-key', type: 'text', placeholder: 'alias/my-key, key id or ARN' });
  const input = h('textarea', { id: 'wb-input', rows: '4' });
  const base64 = h('input', { id: 'wb-input-base64', type: 'checkbox' });
  const context = h('textarea', { id: 'wb-context', rows: '2', placeholder: 'purpose=test' });
  const algorithm = h('select', { id: 'wb-algorithm' });
  const messageType = h('select', { id: 'wb-message-type' }, h('option', { value: 'RAW' }, 'RAW'), h('option', { value: 'DIGEST' }, 'DIGEST'));
  const signature = h('input', { id: 'wb-signature', type: 'text' });
  const dataKeySpec = h('select', { id: 'wb-data-key-spec' }, h('option', { value: 'AES_256' }, 'AES_256'), h('option', { value: 'AES_128' }, 'AES_128'));
  const output = h('pre', { id: 'wb-output', class: 'code' }, 'Run an operation to see its answer.');
  const followUps = h('div', { class: 'toolbar' });
  const fields = {
    input: field('Input (plaintext as text; ciphertext, signature or MAC as base64)', input),
    base64: h('label', { class: 'check' }, base64, ' The input is base64'),
    context: field('Encryption context (key=value lines)', context),
    algorithm: field('Algorithm', algorithm),
    messageType: field('Message type', messageType),
    signature: field('Signature or MAC (base64)', signature),
    dataKeySpec: field('Data key spec', dataKeySpec),
  };
  const shape = () => {
    const op = operation.value;
    clear(algorithm, ...ALGORITHMS[op].map((a) => h('option', { value: a }, a)));
    fields.algorithm.hidden = ALGORITHMS[op].length === 0;
    fields.input.hidden = op === 'GenerateDataKey';
    fields.base64.hidden = op === 'GenerateDataKey' || op === 'Decrypt';
    fields.context.hidden = !CONTEXT_OPS.has(op);
    fields.messageType.hidden = !(op === 'Sign' || op === 'Verify');
    fields.signature.hidden = !(op === 'Verify' || op === 'VerifyMac');
    fields.dataKeySpec.hidden = op !== 'GenerateDataKey';
  };
  operation.addEventListener('change', shape);
  shape();
  const message = () => (base64.checked ? input.value.trim() : b64encode(utf8(input.value)));
  const run = async () => {
    clearError(error);
    clear(followUps);
    const op = operation.value;
    const body = { KeyId: key.value.trim() };
    const ctx = parseContext(context.value);
    if (CONTEXT_OPS.has(op) && Object.keys(ctx).length) body.EncryptionContext = ctx;
    if (op === 'Encrypt') Object.assign(body, { Plaintext: message(), EncryptionAlgorithm: algorithm.value });
    if (op === 'Decrypt') Object.assign(body, { CiphertextBlob: input.value.trim(), EncryptionAlgorithm: algorithm.value });
    if (op === 'GenerateDataKey') body.KeySpec = dataKeySpec.value;
    if (op === 'Sign' || op === 'Verify') Object.assign(body, { Message: message(), MessageType: messageType.value, SigningAlgorithm: algorithm.value });
    if (op === 'Verify') body.Signature = signature.value.trim();
    if (op === 'GenerateMac' || op === 'VerifyMac') Object.assign(body, { Message: message(), MacAlgorithm: algorithm.value });
    if (op === 'VerifyMac') body.Mac = signature.value.trim();
    if (op === 'Decrypt' && !body.KeyId) delete body.KeyId;
    try {
      const r = await kms(op, body);
      const shown = { ...r };
      if (r.Plaintext) {
        const text = printable(b64decode(r.Plaintext));
        if (text !== null) shown['Plaintext (as text)'] = text;
      }
      output.textContent = prettyJson(shown);
      const follow = (label, fn) => followUps.append(h('button', { type: 'button', on: { click: fn } }, label));
      if (r.CiphertextBlob) {
        follow('Decrypt this ciphertext', () => {
          operation.value = 'Decrypt';
          shape();
          input.value = r.CiphertextBlob;
        });
      }
      if (r.Signature) {
        follow('Verify this signature', () => {
          operation.value = 'Verify';
          shape();
          signature.value = r.Signature;
        });
      }
      if (r.Mac) {
        follow('Verify this MAC', () => {
          operation.value = 'VerifyMac';
          shape();
          signature.value = r.Mac;
        });
      }
    } catch (e) {
      showError(error, e);
    }
  };
  container.append(
    h('p', {}, 'Run cryptographic operations as you, with your permissions: every call is in the audit trail.'),
    h('div', { class: 'form-grid' }, field('Operation', operation), field('Key', key), fields.input, fields.base64,
      fields.dataKeySpec, fields.context, fields.algorithm, fields.messageType, fields.signature),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', id: 'wb-run', class: 'primary', on: { click: run } }, 'Run')),
    error, h('h2', {}, 'Result'), output, followUps);
  void fromUtf8;
}
