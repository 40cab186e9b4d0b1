# Login welcome for the "Steady state" lab (sourced by /etc/profile; interactive shells only,
# so scripts run with `bash -l -c` stay quiet).
case "$-" in
*i*)
    if [ -t 1 ]; then b='\033[1m' c='\033[36m' r='\033[0m'; else b='' c='' r=''; fi
    printf "${b}Steady state${r} - hands-on lab 1\n"
    printf "  ${c}storefront${r}  http://storefront:8080   try: curl -s http://storefront:8080/health\n"
    printf "  ${c}redis${r}       redis:6379               try: redis-cli -h redis ping\n"
    printf "Goal: write ${b}~/steady-state.sh${r}, a probe that exits 0 while the storefront is healthy\n"
    printf "and non-zero (within a few seconds) when it is not.\n"
    unset b c r
    ;;
esac
