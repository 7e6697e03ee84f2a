// The crypto workbench (#/workbench): run Encrypt, Decrypt, GenerateDataKey, Sign, Verify, GenerateMac and VerifyMac by hand, for testing.
import { kms, kmsAll, h, clear, alertBox, showError, clearError, field, b64encode, b64decode, utf8, prettyJson, toast, parseContext } from './core.js';

export function routes(register) {
  register('/workbench', renderWorkbench);
}

const ENCRYPTION = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'];
const SIGNING = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'ED25519_SHA_512', 'ED25519_PH_SHA_512', 'ML_DSA_SHAKE_256', 'SM2DSA',
];
const MAC = ['HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_384', 'HMAC_SHA_512'];

/** What each operation needs: its algorithm list (and request member), and which inputs it shows. */
const OPERATIONS = {
  Encrypt: { algorithms: ENCRYPTION, member: 'EncryptionAlgorithm', input: 'Plaintext', context: true },
  Decrypt: { algorithms: ENCRYPTION, member: 'EncryptionAlgorithm', input: 'Ciphertext (base64)', context: true, keyOptional: true },
  GenerateDataKey: { algorithms: [], context: true },
  Sign: { algorithms: SIGNING, member: 'SigningAlgorithm', input: 'Message', messageType: true },
  Verify: { algorithms: SIGNING, member: 'SigningAlgorithm', input: 'Message', messageType: true, signature: 'Signature (base64)' },
  GenerateMac: { algorithms: MAC, member: 'MacAlgorithm', input: 'Message' },
  VerifyMac: { algorithms: MAC, member: 'MacAlgorithm', input: 'Message', signature: 'MAC (base64)' },
};

/** Base64 text as the user typed it → canonical base64 (also accepts base64url and line breaks). */
function canonicalB64(text, what) {
  try {
    return b64encode(b64decode(text));
  } catch {
    throw new Error(`${what} is not valid base64.`);
  }
}

/** The bytes as text when they are valid UTF-8 without control characters (other than line breaks and tabs), else null. */
function printable(bytes) {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /^[^\p{Cc}\p{Cs}\p{Co}\p{Cn}]*$/u.test(text.replace(/[\n\r\t]/g, '')) ? text : null;
  } catch {
    return null;
  }
}

async function renderWorkbench(params, container) {
  const error = alertBox('wb-error');
  const operation = h('select', { id: 'wb-operation' }, ...Object.keys(OPERATIONS).map((o) => h('option', { value: o }, o)));
  if (params.operation && OPERATIONS[params.operation]) operation.value = params.operation;
  const keyList = h('datalist', { id: 'wb-key-list' });
  const key = h('input', {
    id: 'wb-key', type: 'text', list: 'wb-key-list', placeholder: 'alias/my-key, key ID or key ARN',
    autocomplete: 'off', spellcheck: 'false', value: params.keyId || '',
  });
  const input = h('textarea', { id: 'wb-input', rows: '5', spellcheck: 'false' });
  const inputLabel = h('label', { for: 'wb-input' }, 'Plaintext');
  const base64 = h('input', { id: 'wb-input-base64', type: 'checkbox' });
  const dataKeySpec = h('select', { id: 'wb-data-key-spec' },
    h('option', { value: 'AES_256' }, 'AES_256 (32 bytes)'),
    h('option', { value: 'AES_128' }, 'AES_128 (16 bytes)'),
    h('option', { value: 'bytes' }, 'Number of bytes…'));
  const numberOfBytes = h('input', { id: 'wb-number-of-bytes', type: 'number', min: '1', max: '1024', step: '1', value: '32', inputmode: 'numeric' });
  const context = h('textarea', { id: 'wb-context', rows: '3', placeholder: 'purpose=test', spellcheck: 'false' });
  const algorithm = h('select', { id: 'wb-algorithm' });
  const messageType = h('select', { id: 'wb-message-type' },
    h('option', { value: 'RAW' }, 'RAW (the message itself)'),
    h('option', { value: 'DIGEST' }, 'DIGEST (a hash of the message, base64)'),
    h('option', { value: 'EXTERNAL_MU' }, 'EXTERNAL_MU (ML-DSA μ, base64)'));
  const signature = h('input', { id: 'wb-signature', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const signatureLabel = h('label', { for: 'wb-signature' }, 'Signature (base64)');
  const run = h('button', { type: 'submit', id: 'wb-run', class: 'primary' }, 'Run');
  const output = h('pre', { id: 'wb-output', class: 'wb-output', tabindex: '0', 'aria-live': 'polite', 'aria-label': 'Result' },
    'Run an operation to see the answer here.');
  const followUps = h('div', { id: 'wb-follow-ups', class: 'toolbar' });

  const groups = {
    input: h('div', { class: 'field' }, inputLabel, input,
      h('small', { class: 'help', id: 'wb-input-help' }, '')),
    base64: field('The input is base64 (binary data)', base64),
    dataKey: h('div', { class: 'form-grid wb-data-key' },
      field('Data key spec', dataKeySpec), field('Number of bytes (1–1024)', numberOfBytes)),
    context: field('Encryption context (optional)', context, 'One key=value pair a line (or a JSON object). Decrypt needs the same context that Encrypt was given.'),
    algorithm: field('Algorithm', algorithm),
    messageType: field('Message type', messageType),
    signature: h('div', { class: 'field' }, signatureLabel, signature),
  };
  input.setAttribute('aria-describedby', 'wb-input-help');
  const inputHelp = groups.input.querySelector('small');

  /** Shows the inputs the chosen operation takes; keeps what was typed in every input. */
  const shape = () => {
    const op = operation.value;
    const o = OPERATIONS[op];
    const before = algorithm.value;
    clear(algorithm, ...o.algorithms.map((a) => h('option', { value: a }, a)));
    if (o.algorithms.includes(before)) algorithm.value = before;
    groups.algorithm.hidden = o.algorithms.length === 0;
    groups.input.hidden = !o.input;
    inputLabel.textContent = o.input || 'Input';
    inputHelp.textContent = op === 'Decrypt'
      ? 'The CiphertextBlob from Encrypt or GenerateDataKey, as base64.'
      : 'Text is sent as its UTF-8 bytes; tick "base64" to send binary data given as base64.';
    groups.base64.hidden = !o.input || op === 'Decrypt';
    groups.dataKey.hidden = op !== 'GenerateDataKey';
    groups.context.hidden = !o.context;
    groups.messageType.hidden = !o.messageType;
    groups.signature.hidden = !o.signature;
    signatureLabel.textContent = o.signature || 'Signature (base64)';
    numberOfBytes.disabled = dataKeySpec.value !== 'bytes';
    key.placeholder = o.keyOptional ? 'Optional for symmetric ciphertext: alias, key ID or ARN' : 'alias/my-key, key ID or key ARN';
  };
  operation.addEventListener('change', shape);
  dataKeySpec.addEventListener('change', shape);

  /** The message or plaintext as base64, from text (UTF-8) or from base64. */
  const inputBytesB64 = (what) => {
    if (base64.checked) return canonicalB64(input.value, what);
    return b64encode(utf8(input.value));
  };

  const buildRequest = () => {
    const op = operation.value;
    const o = OPERATIONS[op];
    const body = {};
    const keyId = key.value.trim();
    if (keyId) body.KeyId = keyId;
    else if (!o.keyOptional) throw Object.assign(new Error('Enter the key: an alias name (alias/…), a key ID or a key ARN.'), { focus: key });
    if (o.context) {
      let ctx;
      try {
        ctx = parseContext(context.value);
      } catch (e) {
        throw Object.assign(e, { focus: context });
      }
      if (Object.keys(ctx).length) body.EncryptionContext = ctx;
    }
    const withFocus = (fn, el) => {
      try {
        return fn();
      } catch (e) {
        throw Object.assign(e, { focus: el });
      }
    };
    switch (op) {
      case 'Encrypt':
        body.Plaintext = withFocus(() => inputBytesB64('The plaintext'), input);
        break;
      case 'Decrypt':
        body.CiphertextBlob = withFocus(() => canonicalB64(input.value, 'The ciphertext'), input);
        break;
      case 'GenerateDataKey':
        if (dataKeySpec.value === 'bytes') body.NumberOfBytes = Number(numberOfBytes.value);
        else body.KeySpec = dataKeySpec.value;
        break;
      case 'Sign':
      case 'Verify':
        body.Message = withFocus(() => inputBytesB64('The message'), input);
        body.MessageType = messageType.value;
        break;
      case 'GenerateMac':
      case 'VerifyMac':
        body.Message = withFocus(() => inputBytesB64('The message'), input);
        break;
      default:
    }
    if (op === 'Verify') body.Signature = withFocus(() => canonicalB64(signature.value, 'The signature'), signature);
    if (op === 'VerifyMac') body.Mac = withFocus(() => canonicalB64(signature.value, 'The MAC'), signature);
    if (o.member && algorithm.value) body[o.member] = algorithm.value;
    return body;
  };

  const follow = (label, fn) => followUps.append(h('button', { type: 'button', on: { click: fn } }, label));
  const copyButton = (label, value) => follow(label, async () => {
    try {
      await navigator.clipboard.writeText(value);
      toast('Copied.');
    } catch {
      showError(error, new Error('The browser did not allow copying; select the text in the result instead.'));
    }
  });
  const switchTo = (op, fill) => {
    operation.value = op;
    shape();
    fill();
    clear(followUps);
    operation.focus();
    toast(`Ready to run ${op}: check the inputs and press Run.`);
  };

  const showResult = (op, body, r) => {
    const shown = { ...r };
    if (typeof r.Plaintext === 'string') {
      let text = null;
      try {
        text = printable(b64decode(r.Plaintext));
      } catch {
        text = null;
      }
      if (text !== null) shown['Plaintext (as UTF-8 text)'] = text;
    }
    output.textContent = `${op} answered:\n${prettyJson(shown)}`;
    clear(followUps);
    const usedAlgorithm = body[OPERATIONS[op].member];
    if (r.CiphertextBlob) {
      follow('Decrypt this ciphertext', () => switchTo('Decrypt', () => {
        input.value = r.CiphertextBlob;
        if (usedAlgorithm && ENCRYPTION.includes(usedAlgorithm)) algorithm.value = usedAlgorithm;
      }));
      copyButton('Copy the ciphertext', r.CiphertextBlob);
    }
    if (typeof r.Plaintext === 'string' && op === 'Decrypt') {
      follow('Encrypt this plaintext again', () => switchTo('Encrypt', () => {
        const text = printable(b64decode(r.Plaintext));
        if (text !== null) {
          input.value = text;
          base64.checked = false;
        } else {
          input.value = r.Plaintext;
          base64.checked = true;
        }
      }));
    }
    if (r.Signature) {
      follow('Verify this signature', () => switchTo('Verify', () => {
        signature.value = r.Signature;
        if (usedAlgorithm) algorithm.value = usedAlgorithm;
      }));
      copyButton('Copy the signature', r.Signature);
    }
    if (r.Mac) {
      follow('Verify this MAC', () => switchTo('VerifyMac', () => {
        signature.value = r.Mac;
        if (usedAlgorithm) algorithm.value = usedAlgorithm;
      }));
      copyButton('Copy the MAC', r.Mac);
    }
  };

  const form = h('form', { class: 'wb-form', novalidate: true, 'aria-label': 'Operation' },
    h('div', { class: 'form-grid' }, field('Operation', operation), field('Key', key), keyList),
    groups.input, groups.base64, groups.dataKey, groups.signature,
    h('div', { class: 'form-grid' }, groups.algorithm, groups.messageType),
    groups.context,
    h('div', { class: 'form-actions' }, run, h('span', { class: 'note' }, 'Ctrl+Enter in a text box runs too.')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(error);
    const op = operation.value;
    let body;
    try {
      body = buildRequest();
    } catch (e) {
      showError(error, e);
      e.focus?.focus();
      return;
    }
    run.disabled = true;
    output.classList.add('stale');
    try {
      const r = await kms(op, body);
      showResult(op, body, r);
    } catch (e) {
      showError(error, e);
      output.textContent = `${op} failed: the error is shown above. Nothing you typed was changed.`;
      clear(followUps);
    } finally {
      run.disabled = false;
      output.classList.remove('stale');
    }
  });
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && ev.target instanceof HTMLTextAreaElement) {
      ev.preventDefault();
      form.requestSubmit(run);
    }
  });

  shape();
  container.append(
    h('p', { class: 'lead' }, 'Crypto workbench for testing: run cryptographic operations as you, with your permissions. Every call is recorded in the audit trail.'),
    h('p', { class: 'note' }, 'Do not paste production secrets here: plaintexts and data keys are shown on screen.'),
    form, error,
    h('section', { class: 'wb-result', 'aria-labelledby': 'wb-result-heading' },
      h('h2', { id: 'wb-result-heading' }, 'Result'), output, followUps));

  // Offer the aliases in the key field; a key the caller cannot list is still typed by hand.
  try {
    const aliases = await kmsAll('ListAliases', { Limit: 100 }, 'Aliases');
    clear(keyList, ...aliases.filter((a) => a.TargetKeyId).map((a) => h('option', { value: a.AliasName })));
  } catch {
    /* the datalist stays empty */
  }
}
