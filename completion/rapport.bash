# bash completion for rapport(1): subcommands, their options, persona ids
# from the persona search path, and session ids for `rapport report`.
# Installed into share/bash-completion/completions/rapport.

# Persona ids: *.yaml directly in --personas DIR (from the command line),
# each directory of $RAPPORT_PERSONAS, ./personas and the installed
# personas, as rapport itself searches them.
_rapport_personas()
{
    local dirs=() dir f i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        [[ ${COMP_WORDS[i]} == --personas ]] && dirs+=("${COMP_WORDS[i+1]}")
    done
    local IFS=:
    dirs+=($RAPPORT_PERSONAS)
    unset IFS
    dirs+=(./personas "@DATADIR@/personas")
    for dir in "${dirs[@]}"; do
        [[ -d $dir ]] || continue
        for f in "$dir"/*.yaml; do
            [[ -e $f ]] || continue
            f=${f##*/}
            printf '%s\n' "${f%.yaml}"
        done
    done | sort -u
}

_rapport()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi

    local commands="chat list lint score record test graph new history report
        progress help"
    local cmd= i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --personas | --history) ((i++)) ;;
        -*) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done

    case $prev in
    --personas)
        COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --history | --transcript | --junit | -o | --output)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --persona)
        COMPREPLY=($(compgen -W "$(_rapport_personas)" -- "$cur")); return ;;
    --format | -f)
        COMPREPLY=($(compgen -W "dot mermaid" -- "$cur")); return ;;
    --seed | --turn | --context | -j | -n | --limit | --last | --fail-under)
        return ;;
    esac

    local opts
    case $cmd in
    "")
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--personas --history --no-history
                --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return ;;
    chat) opts="--seed --trace --coach --json --transcript --history
        --no-history --no-checkin --help" ;;
    list) opts="--json --help" ;;
    lint) opts="-a --all -v --verbose --help" ;;
    score) opts="--persona --context --turn --after-brush-off --json --help" ;;
    record) opts="--seed -o --output --help" ;;
    test) opts="-j --tap --junit --update --coverage --fail-under --json
        --help" ;;
    graph) opts="--format --help" ;;
    new) opts="--help" ;;
    history) opts="--persona -n --limit --json --history --help" ;;
    report) opts="--json --markdown --history --help" ;;
    progress) opts="--persona -n --last --history --help" ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $cmd in
    chat | record | graph)
        COMPREPLY=($(compgen -W "$(_rapport_personas)" -- "$cur")) ;;
    lint)
        COMPREPLY=($(compgen -W "$(_rapport_personas)" -- "$cur")
            $(compgen -f -- "$cur")) ;;
    test)
        COMPREPLY=($(compgen -f -- "$cur")) ;;
    report)
        COMPREPLY=($(compgen -W "$(rapport history -n 20 2>/dev/null |
            awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }')" -- "$cur")) ;;
    esac
}
complete -F _rapport rapport
