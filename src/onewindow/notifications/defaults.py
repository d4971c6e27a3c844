"""The first version of every message template (zh-Hans and English), seeded by migration 0002.

Frozen: migration 0002 copies DEFAULTS_V1 into MessageTemplate rows, and services fall back to it
only when an event has no row at all (e.g. a test database that was flushed). Change texts in the
admin (each save is a new version); a change of the shipped defaults goes into a new data
migration with DEFAULTS_V2, never into this table.

Each entry: ``{language: (sms_text, inapp_title, inapp_text)}``. An empty ``sms_text`` means the
event never goes out by SMS (the two deadline events are for staff, in-app only).
Context keys the case code passes: number, item, query_code, status, reason, due_date, url;
the service-center events also use center, window, ahead; ``phone_code`` uses code, minutes;
``unmask_rate_alert`` (to system admins, in-app only) uses user, count, limit; ``service_rating``
uses center, number, url. The 双告知 events of supervision (issue #11 part 6; to a department's
staff, in-app only) use number (the notice's 告知书编号), entity, credit_code, licences, due_date,
status, url; the one to the entity (``dual_notice_to_entity``, SMS and in-app) uses number, entity,
credit_code, licences, guides (each licence's guide with its public address), url. The alert
reminder (``supervision_alert_reminder``, issue #12 part 8; to the owner department's admins,
in-app only) uses rule, entity, credit_code, summary, raised_on, count, url. A due reminder
(``reminder_due``, issue #14 part 6; to its user, in-app, and SMS when the user chose it) uses
title, detail, due, url. A crowd-density alert (``crowd_alert``, 大客流预警, issue #16 part 3; to
the area's duty officer, in-app only) uses area, zone, level ("amber" or "red"), share (percent of
the zone's capacity), time (HH:MM of the count), url.
"""

from __future__ import annotations

Texts = tuple[str, str, str]

DEFAULTS_V1: dict[str, dict[str, Texts]] = {
    "case_submitted": {
        "zh-hans": (
            "您申请的“{{ item }}”已提交，办件编号{{ number }}，查询码{{ query_code }}。",
            "申请已提交",
            "您申请的“{{ item }}”已提交，办件编号{{ number }}，查询码{{ query_code }}。{{ url }}",
        ),
        "en": (
            "Your application for {{ item }} was submitted: case {{ number }}, query code {{ query_code }}.",
            "Application submitted",
            "Your application for {{ item }} was submitted: case {{ number }}, query code {{ query_code }}. {{ url }}",
        ),
    },
    "case_correction_requested": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）需补正材料：{{ reason }}。请于{{ due_date }}前补正。",
            "请补正材料",
            "办件{{ number }}（{{ item }}）需补正材料：{{ reason }}。请于{{ due_date }}前补正。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) needs corrected materials: {{ reason }}. Please correct by {{ due_date }}.",
            "Correction requested",
            "Case {{ number }} ({{ item }}) needs corrected materials: {{ reason }}. Please correct by {{ due_date }}. "
            "{{ url }}",
        ),
    },
    "case_accepted": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）已受理，承诺办结日期{{ due_date }}。",
            "申请已受理",
            "办件{{ number }}（{{ item }}）已受理，承诺办结日期{{ due_date }}。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was accepted; due by {{ due_date }}.",
            "Application accepted",
            "Case {{ number }} ({{ item }}) was accepted; due by {{ due_date }}. {{ url }}",
        ),
    },
    "case_not_accepted": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）不予受理：{{ reason }}。",
            "不予受理",
            "办件{{ number }}（{{ item }}）不予受理：{{ reason }}。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was not accepted: {{ reason }}.",
            "Application not accepted",
            "Case {{ number }} ({{ item }}) was not accepted: {{ reason }}. {{ url }}",
        ),
    },
    "case_forwarded": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）已转送有权机关办理：{{ reason }}。",
            "申请已转送",
            "办件{{ number }}（{{ item }}）已转送有权机关办理：{{ reason }}。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was forwarded to the competent authority: {{ reason }}.",
            "Application forwarded",
            "Case {{ number }} ({{ item }}) was forwarded to the competent authority: {{ reason }}. {{ url }}",
        ),
    },
    "case_suspended": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）暂停计时：{{ reason }}。",
            "办理暂停计时",
            "办件{{ number }}（{{ item }}）暂停计时：{{ reason }}。{{ url }}",
        ),
        "en": (
            "The clock of case {{ number }} ({{ item }}) is suspended: {{ reason }}.",
            "Clock suspended",
            "The clock of case {{ number }} ({{ item }}) is suspended: {{ reason }}. {{ url }}",
        ),
    },
    "case_resumed": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）恢复计时，办结日期{{ due_date }}。",
            "办理恢复计时",
            "办件{{ number }}（{{ item }}）恢复计时，办结日期{{ due_date }}。{{ url }}",
        ),
        "en": (
            "The clock of case {{ number }} ({{ item }}) runs again; due by {{ due_date }}.",
            "Clock resumed",
            "The clock of case {{ number }} ({{ item }}) runs again; due by {{ due_date }}. {{ url }}",
        ),
    },
    "case_extended": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）办理期限延长至{{ due_date }}：{{ reason }}。",
            "办理期限延长",
            "办件{{ number }}（{{ item }}）办理期限延长至{{ due_date }}：{{ reason }}。{{ url }}",
        ),
        "en": (
            "The time limit of case {{ number }} ({{ item }}) was extended to {{ due_date }}: {{ reason }}.",
            "Time limit extended",
            "The time limit of case {{ number }} ({{ item }}) was extended to {{ due_date }}: {{ reason }}. {{ url }}",
        ),
    },
    # A holiday entered later (issue #10) moves the decision date told to the applicant later.
    "case_deadline_postponed": {
        "zh-hans": (
            "因法定节假日调整，办件{{ number }}（{{ item }}）的办结日期顺延至{{ due_date }}。",
            "办结日期顺延",
            "因法定节假日调整，办件{{ number }}（{{ item }}）的办结日期顺延至{{ due_date }}。{{ url }}",
        ),
        "en": (
            "Because of a public-holiday change, case {{ number }} ({{ item }}) is now due by {{ due_date }}.",
            "Due date moved later",
            "Because of a public-holiday change, case {{ number }} ({{ item }}) is now due by {{ due_date }}. "
            "{{ url }}",
        ),
    },
    "case_approved": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）已准予许可。",
            "准予许可",
            "办件{{ number }}（{{ item }}）已准予许可。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was approved.",
            "Application approved",
            "Case {{ number }} ({{ item }}) was approved. {{ url }}",
        ),
    },
    "case_rejected": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）不予许可：{{ reason }}。",
            "不予许可",
            "办件{{ number }}（{{ item }}）不予许可：{{ reason }}。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was refused: {{ reason }}.",
            "Application refused",
            "Case {{ number }} ({{ item }}) was refused: {{ reason }}. {{ url }}",
        ),
    },
    "case_delivered": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）的结果已送达。",
            "结果已送达",
            "办件{{ number }}（{{ item }}）的结果已送达。{{ url }}",
        ),
        "en": (
            "The result of case {{ number }} ({{ item }}) was delivered.",
            "Result delivered",
            "The result of case {{ number }} ({{ item }}) was delivered. {{ url }}",
        ),
    },
    "case_withdrawn": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）已撤回。",
            "申请已撤回",
            "办件{{ number }}（{{ item }}）已撤回。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) was withdrawn.",
            "Application withdrawn",
            "Case {{ number }} ({{ item }}) was withdrawn. {{ url }}",
        ),
    },
    "case_deemed_accepted": {
        "zh-hans": (
            "办件{{ number }}（{{ item }}）逾期未告知补正，自收到材料之日起视为受理，办结日期{{ due_date }}。",
            "视为受理",
            "办件{{ number }}（{{ item }}）逾期未告知补正，自收到材料之日起视为受理，办结日期{{ due_date }}。{{ url }}",
        ),
        "en": (
            "Case {{ number }} ({{ item }}) is deemed accepted from the day the materials were received; "
            "due by {{ due_date }}.",
            "Deemed accepted",
            "Case {{ number }} ({{ item }}) is deemed accepted from the day the materials were received; "
            "due by {{ due_date }}. {{ url }}",
        ),
    },
    "deadline_warning": {
        "zh-hans": (
            "",
            "办件即将到期",
            "办件{{ number }}（{{ item }}）将于{{ due_date }}到期，当前状态：{{ status }}。{{ url }}",
        ),
        "en": (
            "",
            "Case due soon",
            "Case {{ number }} ({{ item }}) is due on {{ due_date }}; status: {{ status }}. {{ url }}",
        ),
    },
    "deadline_overdue": {
        "zh-hans": (
            "",
            "办件已超期",
            "办件{{ number }}（{{ item }}）已于{{ due_date }}超期，当前状态：{{ status }}。{{ url }}",
        ),
        "en": (
            "",
            "Case overdue",
            "Case {{ number }} ({{ item }}) was due on {{ due_date }}; status: {{ status }}. {{ url }}",
        ),
    },
    "appointment_booked": {
        "zh-hans": (
            "您已预约{{ center }}办理“{{ item }}”，时间{{ due_date }}，预约号{{ number }}。",
            "预约成功",
            "您已预约{{ center }}办理“{{ item }}”，时间{{ due_date }}，预约号{{ number }}。{{ url }}",
        ),
        "en": (
            "Appointment {{ number }} booked at {{ center }} for {{ item }} on {{ due_date }}.",
            "Appointment booked",
            "Appointment {{ number }} booked at {{ center }} for {{ item }} on {{ due_date }}. {{ url }}",
        ),
    },
    "appointment_reminder": {
        "zh-hans": (
            "提醒：您预约于{{ due_date }}在{{ center }}办理“{{ item }}”，预约号{{ number }}。",
            "预约提醒",
            "提醒：您预约于{{ due_date }}在{{ center }}办理“{{ item }}”，预约号{{ number }}。{{ url }}",
        ),
        "en": (
            "Reminder: appointment {{ number }} at {{ center }} for {{ item }} on {{ due_date }}.",
            "Appointment reminder",
            "Reminder: appointment {{ number }} at {{ center }} for {{ item }} on {{ due_date }}. {{ url }}",
        ),
    },
    "ticket_near": {
        "zh-hans": (
            "您的{{ number }}号前面还有{{ ahead }}人，请留意叫号。",
            "即将叫号",
            "您的{{ number }}号前面还有{{ ahead }}人，请留意叫号。",
        ),
        "en": (
            "Ticket {{ number }}: {{ ahead }} people ahead of you.",
            "Your turn is near",
            "Ticket {{ number }}: {{ ahead }} people ahead of you.",
        ),
    },
    "ticket_called": {
        "zh-hans": (
            "请{{ number }}号到{{ window }}号窗口办理。",
            "请到窗口办理",
            "请{{ number }}号到{{ window }}号窗口办理。",
        ),
        "en": (
            "Ticket {{ number }}, please go to window {{ window }}.",
            "Your ticket is called",
            "Ticket {{ number }}, please go to window {{ window }}.",
        ),
    },
    # The one-time code that confirms a number typed at a kiosk (centers, decision 0008).
    "phone_code": {
        "zh-hans": (
            "验证码{{ code }}，{{ minutes }}分钟内有效，用于确认在{{ center }}取号时留下的手机号。如非本人操作请忽略。",
            "手机号验证码",
            "验证码{{ code }}，{{ minutes }}分钟内有效。",
        ),
        "en": (
            "Code {{ code }} (valid {{ minutes }} min) confirms the number left when taking a ticket at "
            "{{ center }}. Not you? Ignore this message.",
            "Phone confirmation code",
            "Code {{ code }} (valid {{ minutes }} min).",
        ),
    },
    # After a window service, the signed rating link (centers, 好差评 现场服务 一次一评; issue #10).
    "service_rating": {
        "zh-hans": (
            "您在{{ center }}办理的{{ number }}号业务已办结，欢迎评价：{{ url }} （每次服务评价一次）",
            "请评价本次服务",
            "您在{{ center }}办理的{{ number }}号业务已办结，欢迎评价：{{ url }}",
        ),
        "en": (
            "Your service {{ number }} at {{ center }} is done. Please rate it: {{ url }} (one rating per service)",
            "Please rate this service",
            "Your service {{ number }} at {{ center }} is done. Please rate it: {{ url }}",
        ),
    },
    # A staff user above the soft limit of unmasked person views (accounts.unmask, decision 0007).
    "unmask_rate_alert": {
        "zh-hans": (
            "",
            "查看个人信息次数异常",
            "工作人员{{ user }}在一小时内已查看{{ count }}次完整个人信息，超过预警值{{ limit }}次。请核查审计日志。",
        ),
        "en": (
            "",
            "Unusual number of personal-data views",
            "Staff user {{ user }} viewed full personal data {{ count }} times within an hour, above the alert "
            "level of {{ limit }}. Please review the audit log.",
        ),
    },
    "rating_followup_due": {
        "zh-hans": ("", "差评待回访", "对{{ item }}（{{ number }}）的差评须于{{ due_date }}前回访整改。{{ url }}"),
        "en": (
            "",
            "Negative rating to follow up",
            "The negative rating of {{ item }} ({{ number }}) must be followed up by {{ due_date }}. {{ url }}",
        ),
    },
    # 双告知 (supervision, issue #11 part 6): a task arrived in a department's queue, its answer
    # is due soon, or it is overdue. Staff only, in-app only (no SMS text).
    "dual_notice_task_new": {
        "zh-hans": (
            "",
            "收到双告知任务",
            "双告知书{{ number }}：{{ entity }}（统一社会信用代码{{ credit_code }}）可能需办理{{ licences }}，"
            "请签收并于{{ due_date }}前反馈。{{ url }}",
        ),
        "en": (
            "",
            "New dual-notice task",
            "Dual notice {{ number }}: {{ entity }} (credit code {{ credit_code }}) may need {{ licences }}. "
            "Please receive it and answer by {{ due_date }}. {{ url }}",
        ),
    },
    "dual_notice_deadline_warning": {
        "zh-hans": (
            "",
            "双告知任务即将到期",
            "双告知书{{ number }}：{{ entity }}（统一社会信用代码{{ credit_code }}）的反馈期限为{{ due_date }}，"
            "当前状态：{{ status }}。{{ url }}",
        ),
        "en": (
            "",
            "Dual-notice task due soon",
            "Dual notice {{ number }}: the answer about {{ entity }} (credit code {{ credit_code }}) is due on "
            "{{ due_date }}; status: {{ status }}. {{ url }}",
        ),
    },
    "dual_notice_overdue": {
        "zh-hans": (
            "",
            "双告知任务已超期",
            "双告知书{{ number }}：{{ entity }}（统一社会信用代码{{ credit_code }}）的反馈期限{{ due_date }}已过，"
            "尚未反馈，当前状态：{{ status }}。{{ url }}",
        ),
        "en": (
            "",
            "Dual-notice task overdue",
            "Dual notice {{ number }}: the answer about {{ entity }} (credit code {{ credit_code }}) was due on "
            "{{ due_date }} and is still missing; status: {{ status }}. {{ url }}",
        ),
    },
    # 告知申请人 (supervision, DOMAIN.md R5.1 step 1): the licences a new or changed entity may need,
    # with their guides. No deadline: the answer clock is the departments'.
    "dual_notice_to_entity": {
        "zh-hans": (
            "【双告知】{{ entity }}：根据您登记的经营范围，可能需要办理以下许可：{{ licences }}。"
            "取得许可前请勿从事相关经营活动。{% if guides %}办事指南：{{ guides }}{% endif %}",
            "可能需要办理的许可",
            "双告知书{{ number }}：{{ entity }}（统一社会信用代码{{ credit_code }}）根据登记的经营范围，"
            "可能需要办理以下许可：{{ licences }}。取得许可前请勿从事相关经营活动。"
            "{% if guides %}办事指南：{{ guides }}{% endif %} {{ url }}",
        ),
        "en": (
            "Dual notice to {{ entity }}: for the business scope you registered you may need these licences: "
            "{{ licences }}. Do not start these activities before you hold them.{% if guides %} Guides: {{ guides }}"
            "{% endif %}",
            "Licences you may need",
            "Dual notice {{ number }}: {{ entity }} (credit code {{ credit_code }}) may need these licences for its "
            "registered business scope: {{ licences }}. Do not start these activities before you hold them."
            "{% if guides %} Guides: {{ guides }}{% endif %} {{ url }}",
        ),
    },
    "supervision_alert_reminder": {
        "zh-hans": (
            "",
            "监管预警待处理",
            "{{ rule }}：{{ entity }}（统一社会信用代码{{ credit_code }}）。{{ summary }}"
            "预警产生于{{ raised_on }}，已催办{{ count }}次，请及时签收处理。{{ url }}",
        ),
        "en": (
            "",
            "Supervision alert waiting",
            "{{ rule }}: {{ entity }} (credit code {{ credit_code }}). {{ summary }} Raised on {{ raised_on }}; "
            "reminder {{ count }}. Please acknowledge and handle it. {{ url }}",
        ),
    },
    "reminder_due": {
        "zh-hans": (
            "【提醒】{{ title }}{% if due %}，到期时间{{ due }}{% endif %}。{{ detail }}",
            "提醒：{{ title }}",
            "{{ title }}{% if due %}，到期时间{{ due }}{% endif %}。{{ detail }} {{ url }}",
        ),
        "en": (
            "Reminder: {{ title }}{% if due %}, due {{ due }}{% endif %}. {{ detail }}",
            "Reminder: {{ title }}",
            "{{ title }}{% if due %}, due {{ due }}{% endif %}. {{ detail }} {{ url }}",
        ),
    },
    "crowd_alert": {
        "zh-hans": (
            "",
            "大客流{% if level == 'red' %}红色{% else %}黄色{% endif %}预警：{{ area }}{{ zone }}",
            "{{ area }}{{ zone }}{{ time }}在场人数达到承载量的{{ share }}%，"
            "已触发{% if level == 'red' %}红色{% else %}黄色{% endif %}预警，请及时处置。{{ url }}",
        ),
        "en": (
            "",
            "Crowd {% if level == 'red' %}red{% else %}amber{% endif %} alert: {{ zone }}, {{ area }}",
            "At {{ time }} the people present in {{ zone }} ({{ area }}) reached {{ share }}% of its capacity: "
            "{% if level == 'red' %}red{% else %}amber{% endif %} alert. Please act. {{ url }}",
        ),
    },
}
