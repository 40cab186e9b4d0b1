# /etc/bash.bashrc: the sandbox workstation's shell setup for every interactive bash.
# The home directory is an empty tmpfs, so this file (read by `bash` directly and by `bash -l`
# through /etc/profile) is where the prompt, colors and aliases live.

# Not interactive: change nothing.
[ -z "${PS1-}" ] && return

shopt -s checkwinsize histappend
HISTCONTROL=ignoreboth
HISTSIZE=5000
HISTFILESIZE=10000

# learner@workstation:~$  (green user@host, blue directory)
PS1='\[\e[1;32m\]\u@\h\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
# Terminal title: user@host: dir
case "$TERM" in
xterm*|rxvt*|screen*|tmux*) PS1="\[\e]0;\u@\h: \w\a\]$PS1" ;;
esac

# Colors for ls and grep.
eval "$(dircolors -b)"
alias ls='ls --color=auto'
alias grep='grep --color=auto'
alias ll='ls -alF'
alias la='ls -A'
alias l='ls -CF'

if ! shopt -oq posix && [ -f /usr/share/bash-completion/bash_completion ]; then
    . /usr/share/bash-completion/bash_completion
fi
