// @ts-check
/** The one map of error codes and messages the inspector reads (简体中文). */

/** Messages by error code: the app's own codes and fallbacks for the server's. */
export const MESSAGES = {
  network: '暂时连不上服务器：记录已保存在手机上，稍后会自动重试',
  offline: '当前没有网络：记录已保存在手机上，联网后会自动同步',
  server_error_page: '服务器暂时无法处理（返回了错误页面）：记录仍在手机上，稍后会自动重试',
  server_error: '服务器暂时出错：记录仍在手机上，稍后会自动重试',
  transient: '服务器繁忙：记录仍在手机上，稍后会自动重试',
  bad_response: '服务器的回答无法识别：记录仍在手机上，稍后会自动重试',
  login_needs_network: '首次登录需要联网：请连接网络后再登录',
  login_required: '登录已失效：请重新登录后同步（未同步的记录会保留在手机上）',
  token_missing: '请先登录',
  token_invalid: '登录已失效：请重新登录（未同步的记录会保留在手机上）',
  token_expired: '登录已过期：请重新登录（未同步的记录会保留在手机上）',
  token_revoked: '此设备的登录已被注销：请重新登录（未同步的记录会保留在手机上）',
  bad_credentials: '用户名或密码错误',
  too_many_requests: '登录尝试过于频繁：请稍后再试（登录会放慢，不会锁定账号）',
  forbidden: '您没有权限进行此操作',
  quota_exceeded: '手机存储空间已满，本条记录没有保存（之前的记录都还在）：请先联网同步，或清理手机存储后重试',
  storage_failed: '无法写入手机存储，本条记录没有保存：请重试；如持续出现请重启应用',
  db_blocked: '应用的另一个页面仍在使用旧版本数据：请关闭其他已打开的检查页面',
  image_not_image: '所选文件不是照片：请用相机拍摄',
  image_corrupt: '无法读取这张照片（文件可能已损坏）：请重新拍摄',
  image_too_large: '照片像素过大，超过允许的上限：请在相机设置中降低分辨率后重拍',
  image_file_too_large: '照片文件过大，超过允许的上限：请在相机设置中降低分辨率后重拍',
  image_failed: '照片处理失败：请重新拍摄',
  signature_empty: '请先在框内签名',
  signature_too_small: '签名太小：请在框内用手指正常书写完整的姓名（一个点或一小笔不能作为签名）',
  signature_needs_conclusion: '请先填写检查结论：签名确认的是包括检查结论在内的全部内容',
  image_too_small: '照片太小，看不清现场情况：请用手机相机直接拍摄，不要使用截图或缩略图',
  photo_too_small: '照片太小，看不清现场情况：请用手机相机直接拍摄，不要使用截图或缩略图',
  id_number_invalid: '身份证号的校验位不对：请对照证件逐位核对（18 位，最后一位可能是 X）；无法核实的可以不填',
  incomplete_submission: '还有检查要点未作答，检查结果未提交：请逐项判定后再提交',
  result_inconsistent: '检查结果与检查要点的判定、发现的问题不一致，检查结果未提交：请核对检查结论后再提交',
  item_result_inconsistent: '检查要点的判定与发现的问题不一致，检查结果未提交：不符合的要点请记录问题，记录了问题的要点请判定为不符合',
  noncompliant_photo_missing: '判定为不符合的检查要点没有现场照片，检查结果未提交：请拍摄问题照片并关联到该要点后再提交',
  party_missing: '未登记现场当事人，检查结果未提交：请登记当事人，现场无人的请勾选“无人在场”并注明情况',
  absence_unproven: '当事人拒绝签字或无人在场，但没有见证人签名或现场照片，检查结果未提交：请补充后再提交',
  signatures_missing: '检查人员或当事人尚未签名，检查结果未提交：请签名后再提交',
  signatures_stale: '签名之后检查内容有改动，签名已不对应现在的内容：请核对后请相关人员重新签名，再提交',
  media_rejected: '服务器拒收了一个文件',
  required: '此项必填',
  reason_required: '请填写修改原因',
  answer_required: '请先选择符合、不符合或不涉及',
  locked: '该检查已提交，不能再修改；如需补充照片请使用“补充证据”',
  not_found: '找不到该检查：可能已被撤回，请同步后查看',
  client_mismatch: '同步标识属于另一位用户：已生成新的同步标识并重新排队',
  mutation_gap: '同步编号不连续：已按服务器期望的编号重新发送',
  batch_too_large: '一次同步的记录过多：已自动分批重试',
  validation_error: '提交的数据有误',
  unknown: '出现未知错误：记录仍在手机上，请稍后重试',
};

/** The message for an error code, preferring a server-provided text. */
export function messageFor(code, serverMessage) {
  if (serverMessage) return serverMessage;
  return MESSAGES[code] || MESSAGES.unknown;
}

/** An error the app can show: a stable code and a Chinese message. */
export class AppError extends Error {
  /** @param {string} code @param {string} [message] @param {object} [extra] */
  constructor(code, message, extra = {}) {
    super(messageFor(code, message));
    this.code = code;
    this.status = extra.status || 0;
    this.errors = extra.errors || {};
    this.transient = Boolean(extra.transient);
  }
}

/**
 * The mutations the phone queues (sync/PROTOCOL.md §3), the one copy in the PWA; tests/pwa/mutations.test.js
 * checks it against sync/messages.py and the golden examples.
 */
export const MUTATIONS = Object.freeze({
  INSPECTION_START: 'inspection.start', CHECKPOINT_RECORD: 'checkpoint.record', FINDING_ADD: 'finding.add',
  FINDING_AMEND: 'finding.amend', PHOTO_ATTACH: 'photo.attach', SIGNATURE_ADD: 'signature.add',
  PARTY_RECORD: 'party.record', INSPECTION_SUBMIT: 'inspection.submit', PHOTO_WITHDRAW: 'photo.withdraw',
});

/** Labels the app shows for values the server does not label itself. */
export const LABELS = {
  mutations: {
    [MUTATIONS.INSPECTION_START]: '开始检查', [MUTATIONS.CHECKPOINT_RECORD]: '检查要点判定', [MUTATIONS.FINDING_ADD]: '新增问题',
    [MUTATIONS.FINDING_AMEND]: '修改问题', [MUTATIONS.PHOTO_ATTACH]: '照片', [MUTATIONS.SIGNATURE_ADD]: '签名',
    [MUTATIONS.PARTY_RECORD]: '当事人记录', [MUTATIONS.INSPECTION_SUBMIT]: '提交检查结果',
    [MUTATIONS.PHOTO_WITHDRAW]: '删除照片',
  },
  answers: { compliant: '符合', noncompliant: '不符合', na: '不涉及' },
  risk: { low: '低风险', general: '一般风险', higher: '较高风险', high: '高风险' },
  roles: { inspector: '检查人员', party: '当事人', witness: '见证人' },
  categories: {
    freight: '道路普通货物运输', passenger: '道路旅客运输', bus: '城市公共汽车客运', taxi: '出租汽车客运',
    driving_school: '机动车驾驶员培训', repair: '机动车维修', station: '道路客运站（场）',
  },
  statuses: {
    assigned: '待检查', in_progress: '检查中', pending_evidence: '待补传证据', submitted: '已提交',
    approved: '已通过', returned: '已退回', withdrawn: '已撤回',
  },
};
