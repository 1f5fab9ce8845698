#!/bin/sh
# help2man-input.sh BIN [COMMAND] - the --help text of `cardpipe [COMMAND]` as help2man reads
# it: the synopsis lines of its first paragraph spelled "Usage:" and "or:", each on one line
# (help2man takes a wrapped line for a description), and a verb listed
# at the left margin ("check     what it does", continued in the description's column)
# indented by two, with its continuation lines, like an option, so that it becomes a term
# with its description. The words are the program's own, so the manual pages say what
# --help says.
bin=$1
shift
"$bin" "$@" --help | awk '
NR == 1 { synopsis = 1 }
synopsis && /^$/ { synopsis = 0; print line; print; next }
synopsis && /^        +[^ ]/ { sub(/^ +/, " "); line = line $0; next }
synopsis {
	if (NR > 1)
		print line
	line = $0
	sub(/^usage:/, "Usage:", line)
	sub(/^       cardpipe /, "   or: cardpipe ", line)
	next
}
col && substr($0, 1, col) ~ /^ +$/ && substr($0, col + 1, 1) != " " { print "  " $0; next }
{ col = 0 }
/^[a-z][a-z0-9-]*( [A-Za-z.]+)*   *[^ ]/ {
	match($0, /^[a-z][a-z0-9-]*( [A-Za-z.]+)*   */)
	col = RLENGTH
	print "  " $0
	next
}
{ print }'
