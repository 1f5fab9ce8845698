/* reasons_prepare.c - reason codes given by prepare's business rules. */
#include "pipeline/rules/reasons.h"

#include <stddef.h>

/* clang-format off */
const struct reason reasons_prepare[] = {
	{ "field-missing", "必填项缺失", "a required field is missing" },
	{ "app-type-unknown", "申请类型无效", "unknown application type" },
	{ "id-type-unknown", "证件类型无效", "unknown ID type" },
	{ "id-format", "证件号码格式错误", "ID number has the wrong length or characters" },
	{ "id-check-digit", "证件号码校验位错误", "ID number check character is wrong" },
	{ "id-birth-date", "证件号码出生日期无效", "ID number holds an impossible birth date" },
	{ "id-region", "证件号码地区码无效", "ID number region prefix is not valid" },
	{ "id-sex-mismatch", "性别与证件号码不符", "declared sex disagrees with the ID number" },
	{ "birth-date-mismatch", "出生日期与证件号码不符", "declared birth date disagrees with the ID number" },
	{ "not-eligible", "不符合申领条件", "not insured in Beijing and in no item-4 category" },
	{ "elderly-age", "未满五十九周岁零六个月", "elderly category needs age 59 years 6 months or more" },
	{ "minor-no-guardian", "未成年人缺少监护人信息", "a minor needs a guardian with ID and proof of guardianship" },
	{ "guardian-id-invalid", "监护人证件号码无效", "guardian's ID number is not valid" },
	{ "employee-unconfirmed", "职工未确认申领", "employee has not confirmed the application (item 12)" },
	{ "photo-missing", "缺少照片", "no photo" },
	{ "photo-not-jpeg", "照片不是JPEG格式", "photo is not a JPEG" },
	{ "photo-corrupt", "照片文件损坏", "photo cannot be decoded" },
	{ "photo-dimensions", "照片尺寸不符", "photo is not 358x441 pixels" },
	{ "photo-not-rgb", "照片不是24位彩色", "photo is not 24-bit colour" },
	{ "photo-file-size", "照片文件大小不符", "photo file size outside the configured range" },
	{ "photo-background", "照片背景不是白色", "photo background is not white" },
	{ "bank-unknown", "银行不是合作银行", "bank is not a cooperating bank" },
	{ "bank-change-too-soon", "六个月内已变更过银行", "bank changed less than 6 months ago (item 27)" },
	{ "mail-no-address", "邮寄地址缺失", "a mailed card needs an address" },
	{ "postal-code-invalid", "邮政编码无效", "postal code is not 6 digits" },
	{ "mobile-invalid", "手机号码无效", "mobile number is not valid" },
	{ "name-encoding", "姓名无法用GB18030编码", "name cannot be encoded in GB18030" },
	{ "name-font", "姓名含字库无法显示的字符", "name has a character the card font cannot draw (held for manual handling)" },
	{ "old-card-unknown", "原卡号不存在", "the card to replace or change is not in the registry" },
	/* added with the prepare stage; codes above and below are stable */
	{ "field-invalid", "字段值无效", "a field has an invalid value" },
	{ "delivery-unknown", "领取方式无效", "delivery is not mail-person, mail-employer or pickup" },
	{ "old-card-superseded", "原卡已补换或注销", "the card to replace was already replaced or cancelled (item 22)" },
	{ "calendar-missing", "工作日历缺少该年份", "the working-day calendar does not cover the year of the due date (held)" },
	{ "duplicate-in-run", "重复申请", "the same person applied more than once in this run" },
	{ "duplicate-in-production", "已有卡片在制作中", "a card of this person is already in production" },
	/* added with the field bounds and character sets (issue 15) */
	{ "field-too-long", "字段超长", "a field is longer than its format allows" },
	{ "field-charset", "字段含不允许的字符", "a field holds a character its format does not allow" },
	{ "name-charset", "姓名含不允许的字符", "a name holds a character that is not a letter or a Chinese character (digits, symbols, emoji)" },
	{ "district-unknown", "区县代码无效", "district is not one of Beijing's 16 district codes (GB/T 2260)" },
	{ "branch-unknown", "领卡网点代码无效", "pickup branch is not BANK-DISTRICT-NNN of a cooperating bank in a Beijing district" },
	{ "old-card-invalid", "原卡号格式错误", "old card number is not a card number: 9 characters, digits and capital letters" },
	{ "amount-invalid", "交通余额金额格式错误", "transport balance is not a whole number of fen (digits only)" },
	{ "amount-too-large", "交通余额超过上限", "transport balance is more than reconcile.max_refund_fen" },
	{ "issuer-cert-expires", "发卡行公钥证书早于卡片到期", "held at perso: the bank's EMV issuer certificate expires before the card, whose offline data authentication would fail mid-life" },
	{ NULL, NULL, NULL },
};
/* clang-format on */
