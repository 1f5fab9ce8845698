/* reasons_ingest.c - reason codes given by ingest: file-level (quarantine) and record-level. */
#include "pipeline/rules/reasons.h"

#include <stddef.h>

/* clang-format off */
const struct reason reasons_ingest[] = {
	/* file level: the file goes to quarantine/ with a report */
	{ "not-well-formed", "文件格式错误(XML不规范)", "file is not well-formed XML" },
	{ "schema-violation", "文件不符合接口规范", "file does not conform to its schema" },
	{ "bad-encoding", "文件字符编码错误", "file is not in its declared or a supported encoding" },
	{ "truncated-gzip", "压缩文件不完整", "gzip stream is truncated or corrupt" },
	{ "gzip-bomb", "压缩文件解压后超限", "gzip file expands beyond the decompression limit" },
	{ "entity-expansion", "文件含实体扩展攻击", "file uses entity expansion (billion laughs)" },
	{ "external-entity", "文件含外部实体或DTD", "file declares a DTD or external entity" },
	{ "too-deep", "文件嵌套层级超限", "XML nesting deeper than the limit" },
	{ "file-too-large", "文件超过大小上限", "file larger than the size limit" },
	{ "unknown-format", "无法识别的文件格式", "not an employer batch, online XML or counter CSV file" },
	{ "csv-malformed", "CSV文件无法解析", "CSV file cannot be parsed (unterminated quote or bad header)" },
	/* record level: the record is recorded as rejected, the file goes on */
	{ "photo-ref-outside", "照片路径越界", "photo reference points outside the file's folder" },
	{ "photo-ref-missing", "照片文件不存在", "referenced photo file does not exist" },
	{ "photo-base64-invalid", "照片编码错误", "inline photo is not valid base64" },
	{ "record-too-large", "记录超过大小上限", "record larger than the size limit" },
	{ "csv-field-count", "CSV字段数错误", "CSV row has the wrong number of fields" },
	{ "csv-bad-quoting", "CSV引号错误", "CSV row has a stray or unbalanced quote" },
	{ "field-invalid", "字段值不符合文件格式", "a field value does not follow the file format (e.g. CSV channel not outlet or bank)" },
	{ NULL, NULL, NULL },
};
/* clang-format on */
