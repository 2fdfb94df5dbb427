// @ts-check
/** 登录: the first login needs the network; afterwards the app opens offline with the stored token. */
import { h, field, setFieldError } from '../dom.js';
import { messageFor } from '../messages.js';

const DEVICE_KEY = 'spotcheck-device-name';

/** The login screen. */
export async function render(ctx) {
  const { store } = ctx;
  const current = store.user();
  const username = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'off', value: current ? current.username : '' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const device = h('input', { name: 'device', value: localStorage.getItem(DEVICE_KEY) || '执法检查手机', maxlength: 100 });
  const status = h('p', { class: 'error-block', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, '登录');

  async function onSubmit(e) {
    e.preventDefault();
    status.hidden = true;
    const missing = [[username, '请填写用户名'], [password, '请填写密码'], [device, '请填写设备名称']];
    let bad = false;
    for (const [input, msg] of missing) {
      const empty = !input.value.trim();
      setFieldError(input, empty ? msg : '');
      bad = bad || empty;
    }
    if (bad) return;
    submit.disabled = true;
    submit.textContent = '正在登录…';
    try {
      localStorage.setItem(DEVICE_KEY, device.value.trim());
      await store.login(username.value, password.value, device.value);
      ctx.afterLogin();
    } catch (err) {
      status.textContent = messageFor(err.code, err.message);
      status.hidden = false;
      submit.disabled = false;
      submit.textContent = '登录';
    }
  }

  const others = current ? [] : await store.otherAccounts().catch(() => []);
  const body = h('form', { class: 'card form', onsubmit: onSubmit, novalidate: true },
    h('p', { class: 'lead' }, '执法检查人员登录。首次登录需要联网，之后没有信号也能使用。'),
    field('用户名', username, { required: true }),
    field('密码', password, { required: true }),
    field('设备名称', device, { hint: '便于管理员识别和注销此设备' }),
    status, submit,
    others.length ? h('div', { class: 'note' }, h('h2', {}, '本机还有其他人员未同步的记录'),
      h('ul', {}, others.map((o) => h('li', {}, `${o.display_name}：${o.queued} 条（需本人登录后同步，您看不到这些记录）`)))) : null);
  return { title: current ? '重新登录' : '登录', body, back: current ? '#/' : null };
}
