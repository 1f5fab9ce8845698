#!/bin/sh
# help2man-input.sh BIN [COMMAND] - the --help text of `cardpipe [COMMAND]` as help2man reads
# it: the synopsis lines of its first paragraph spelled "Usage:" and "or:", and a verb
# listed at the left margin ("check     what it does") indented like an option, so that it
# becomes a term with its description. The words are the program's own, so the manual
# pages say what --help says.
bin=$1
shift
"$bin" "$@" --help | sed '1,/^$/{
s/^usage:/Usage:/
s/^       cardpipe /   or: cardpipe /
}
s/^[a-z][a-z0-9-]*\( [A-Za-z.]*\)* \{2,\}[^ ]/  &/'
