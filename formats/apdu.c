/* apdu.c - short ISO 7816-4 command APDUs and status-word texts (see apdu.h). */
#include "formats/apdu.h"

#include "core/err.h"

int
apdu_split(const unsigned char *buf, size_t len, struct apdu *a, uint16_t *sw)
{
	*sw = SW_OK;
	if (len < 4) {
		*sw = SW_WRONG_LENGTH;
		return cp_err(CP_ERR_FORMAT, "APDU of %zu bytes: shorter than a header", len);
	}
	a->cla = buf[0];
	a->ins = buf[1];
	a->p1 = buf[2];
	a->p2 = buf[3];
	a->data = NULL;
	a->lc = 0;
	a->le = 0;
	a->has_le = 0;
	if (len == 4) {
		a->icase = 1;
		return 0;
	}
	if (len == 5) {
		a->icase = 2;
		a->has_le = 1;
		a->le = buf[4] ? buf[4] : 256;
		return 0;
	}
	if (buf[4] == 0) {
		/* A zero where Lc would be opens an extended-length APDU (7816-4 5.1). */
		*sw = SW_WRONG_LENGTH;
		return cp_err(CP_ERR_FORMAT, "extended-length APDU (%zu bytes) not supported", len);
	}
	a->lc = buf[4];
	if (len == 5 + a->lc) {
		a->icase = 3;
	} else if (len == 6 + a->lc) {
		a->icase = 4;
		a->has_le = 1;
		a->le = buf[len - 1] ? buf[len - 1] : 256;
	} else {
		*sw = SW_WRONG_LENGTH;
		return cp_err(CP_ERR_FORMAT, "APDU length %zu does not match Lc %zu", len, a->lc);
	}
	a->data = buf + 5;
	return 0;
}

int
apdu_parse(const unsigned char *buf, size_t len, struct apdu *a, uint16_t *sw)
{
	if (len >= 4 && buf[0] == 0xFF) {
		*sw = SW_CLA_NOT_SUPPORTED;
		return cp_err(CP_ERR_FORMAT, "APDU class FF is reserved (PPS)");
	}
	return apdu_split(buf, len, a, sw);
}

const char *
apdu_sw_text(uint16_t sw)
{
	switch (sw) {
	case SW_OK: return "9000 success";
	case SW_AUTH_FAILED: return "6300 authentication failed";
	case SW_MEMORY_FAILURE: return "6581 memory failure";
	case SW_WRONG_LENGTH: return "6700 wrong length";
	case SW_LOGICAL_CHANNEL: return "6881 logical channel not supported";
	case SW_SM_NOT_SUPPORTED: return "6882 secure messaging not supported";
	case SW_FILE_INCOMPATIBLE: return "6981 command incompatible with file structure";
	case SW_SECURITY_STATUS: return "6982 security status not satisfied";
	case SW_AUTH_BLOCKED: return "6983 authentication method blocked";
	case SW_CONDITIONS: return "6985 conditions of use not satisfied";
	case SW_NO_CURRENT_EF: return "6986 command not allowed (no current EF)";
	case SW_WRONG_DATA: return "6A80 incorrect data";
	case SW_FUNC_NOT_SUPPORTED: return "6A81 function not supported";
	case SW_FILE_NOT_FOUND: return "6A82 file or application not found";
	case SW_RECORD_NOT_FOUND: return "6A83 record not found";
	case SW_NOT_ENOUGH_MEMORY: return "6A84 not enough memory";
	case SW_WRONG_P1P2: return "6A86 incorrect P1 P2";
	case SW_DATA_NOT_FOUND: return "6A88 referenced data not found";
	case SW_INS_NOT_SUPPORTED: return "6D00 instruction not supported";
	case SW_CLA_NOT_SUPPORTED: return "6E00 class not supported";
	case SW_NO_DIAGNOSIS: return "6F00 no precise diagnosis (chip fault)";
	}
	if ((sw & 0xFF00) == 0x6100)
		return "61xx more data available";
	if ((sw & 0xFF00) == 0x6C00)
		return "6Cxx wrong Le";
	if ((sw & 0xFFF0) == 0x63C0)
		return "63Cx verification failed";
	return "status word";
}

uint16_t
apdu_resp_sw(const unsigned char *resp, size_t len)
{
	if (len < 2)
		return 0;
	return (uint16_t)(resp[len - 2] << 8 | resp[len - 1]);
}
