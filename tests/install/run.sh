#!/bin/sh
# make install, checked: with DESTDIR and PREFIX every file lands under
# $DESTDIR$PREFIX and the binary looks for personas where they were
# installed; installed into a real (temporary) prefix, rapport works from
# / with no help from the environment; the man pages have no warnings;
# the completion offers persona ids; make uninstall removes every file.
#
#   sh tests/install/run.sh BUILD-DIR     (from the top of the source)
build=${1:?usage: run.sh BUILD-DIR}
make=${MAKE:-make}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage real=$tmp/real
pass=0 fail=0

check() { # NAME STATUS
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok $1"
    else fail=$((fail + 1)); echo "FAIL $1"; fi
}

# --- DESTDIR staging, PREFIX=/usr
$make --no-print-directory install DESTDIR="$stage" PREFIX=/usr \
    BUILD="$build" >"$tmp/make.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr" $?
[ -z "$(find "$stage" -mindepth 1 ! -path "$stage/usr" ! -path "$stage/usr/*")" ]
check "every installed file is under \$DESTDIR/usr" $?
missing=
for f in bin/rapport share/rapport/personas/curious-mentor.yaml \
    share/rapport/personas/common/intents.yaml share/man/man1/rapport.1 \
    share/man/man5/rapport-persona.5 share/bash-completion/completions/rapport
do
    [ -f "$stage/usr/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]; check "installed: binary, personas, common/, man pages, completion$missing" $?
(cd / && "$stage/usr/bin/rapport" --help) |
    grep -q 'the installed /usr/share/rapport/personas'
check "the staged binary looks in /usr/share/rapport/personas" $?
grep -q '/usr/share/rapport' "$stage/usr/share/man/man1/rapport.1" &&
    ! grep -q '/usr/local' "$stage/usr/share/man/man1/rapport.1"
check "rapport.1 names the installed data directory" $?
(cd / && RAPPORT_HOME=$tmp/home \
    "$stage/usr/bin/rapport" --personas "$stage/usr/share/rapport/personas" \
    list) | grep -q '^curious-mentor'
check "the staged binary run with its data dir lists personas from /" $?
(cd / && printf 'Hi, what do you work on?\n' | RAPPORT_HOME=$tmp/home \
    RAPPORT_PERSONAS=$stage/usr/share/rapport/personas \
    "$stage/usr/bin/rapport" chat curious-mentor --seed 1) |
    grep -q 'Report card'
check "the staged binary holds a conversation from / (common/ included)" $?
for page in "$stage"/usr/share/man/man1/rapport.1 \
    "$stage"/usr/share/man/man5/rapport-persona.5; do
    LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l \
        -Tutf8 -Z "$page" 2>"$tmp/man.err" >/dev/null
    [ ! -s "$tmp/man.err" ]
    check "man --warnings: $(basename "$page")" $?
    cat "$tmp/man.err"
done
# Every subcommand in the dispatch table is in the man page.
cmds=$(sed -n '/main_commands\[\] = {/,/^};/p' tools/main.c |
    grep -o '{"[a-z]*", [a-z_]*}' | cut -d'"' -f2)
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || echo "no command table in main.c" >"$tmp/cmds"
for cmd in $cmds; do
    grep -q "^\.SS $cmd\$" man/rapport.1 || echo "rapport.1 lacks $cmd"
done >>"$tmp/cmds"
[ ! -s "$tmp/cmds" ]; check "rapport.1 documents every subcommand ($(echo $cmds))" $?
cat "$tmp/cmds"
# ... and every long option of every command.
opts=$(grep -oh '{"[a-z-]*", *[a-z]*_argument' tools/*.c | cut -d'"' -f2 |
    sort -u)
for opt in $opts; do
    grep -qF -- "\\-\\-$(echo "$opt" | sed 's/-/\\-/g')" man/rapport.1 ||
        echo "rapport.1 lacks --$opt"
done >"$tmp/opts"
[ ! -s "$tmp/opts" ] && [ "$(echo "$opts" | wc -w)" -ge 20 ]
check "rapport.1 documents every long option ($(echo "$opts" | wc -w))" $?
cat "$tmp/opts"
out=$(RAPPORT_PERSONAS= bash -c '
    cd / && . "$1/usr/share/bash-completion/completions/rapport"
    COMP_WORDS=(rapport --personas "$1/usr/share/rapport/personas" chat "")
    COMP_CWORD=4; _rapport; echo "${COMPREPLY[*]}"
    COMP_WORDS=(rapport hi); COMP_CWORD=1; _rapport; echo "${COMPREPLY[*]}"
    COMP_WORDS=(rapport chat --no); COMP_CWORD=2; _rapport
    echo "${COMPREPLY[*]}"' sh "$stage")
ids=$(cd "$stage/usr/share/rapport/personas" && ls *.yaml | sed 's/\.yaml$//' |
    LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
[ "$out" = "$ids
history
--no-history --no-checkin" ]
check "bash completion: persona ids, subcommands, options" $?
[ $? -eq 0 ] || echo "$out"
$make --no-print-directory uninstall DESTDIR="$stage" PREFIX=/usr \
    BUILD="$build" >>"$tmp/make.log" 2>&1 &&
    [ -z "$(find "$stage" -type f)" ]
check "make uninstall removes every file" $?

# --- a real install into a temporary prefix: works from / as it is
$make --no-print-directory install PREFIX="$real" BUILD="$build" \
    >>"$tmp/make.log" 2>&1
(cd / && printf 'Hi, what do you work on?\n' | env -u RAPPORT_PERSONAS \
    RAPPORT_HOME=$tmp/home "$real/bin/rapport" chat curious-mentor --seed 1) |
    grep -q 'Report card'
check "installed under a prefix: rapport chat curious-mentor works from /" $?
"$real/bin/rapport" --version | grep -qx 'rapport [0-9][0-9.]*'
check "rapport --version" $?

[ "$fail" -eq 0 ] || cat "$tmp/make.log"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
