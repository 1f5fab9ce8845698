/* stage.c - what the stage contract (stage.h) shares: the one reject-threshold check. */
#include "pipeline/stages/stage.h"

#include "core/config.h"

int
stage_over_threshold(const struct config *cfg, long long read, long long rejected)
{
	return read > 0 &&
	       (double)rejected / (double)read > config_double(cfg, "general.reject_threshold");
}
