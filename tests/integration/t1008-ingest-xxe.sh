#!/bin/bash
# An XXE file (external entity, external DTD) is quarantined as external-entity; nothing is
# fetched or read; a bare DOCTYPE is refused too.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
I=$(inbox)
employer_xml $I/good.xml 1
echo "SECRET-CONTENT" >$CARDPIPE_HOME/secret.txt
cat >$I/xxe.xml <<X
<?xml version="1.0"?>
<!DOCTYPE EmployerBatch [ <!ENTITY xxe SYSTEM "file://$CARDPIPE_HOME/secret.txt"> ]>
<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1"><Employer><Name>&xxe;</Name></Employer></EmployerBatch>
X
cat >$I/dtd.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE EmployerBatch SYSTEM "http://127.0.0.1:9/evil.dtd">
<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1"/>
X
cat >$I/bare.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE EmployerBatch>
<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1"/>
X
expect_exit 1 cardpipe ingest
for f in xxe dtd bare; do assert_quarantined $f.xml external-entity; done
! grep -rq SECRET-CONTENT $CARDPIPE_HOME/quarantine/*.report.txt $CARDPIPE_HOME/registry.db || fail "secret leaked"
assert_ingested good.xml 1
rerun_changes_nothing
