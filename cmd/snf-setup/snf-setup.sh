#!/bin/sh
# snf-setup - make a root folder, or put one right, for the service
# user USER (the user snf-smtpd runs as under tcpserver -u/-g):
#
#   snf-setup [-d dir] [-n] -u user
#
# The root folder, control/ and domains/ are the operator's: made when
# missing, left to their owner, and made unwritable by anyone else.
# queue/ and cache/ are the service's: made when missing, and they and
# everything in them given to USER, folders 0700 and files without
# group or other access, so that whatever a program run by root left
# there is the service's again. A link in place of queue/ or cache/ is
# refused; links in them are never followed. Running it again changes
# nothing that is right. -n says what it would change, and changes
# nothing. Prints one line per change; exit 0, 100 (bad usage or a
# refusal), 111 (a change failed).
set -u

dir=${SNFDIR:-__SNFDIR__}
user="" dry=""
fatal() {	# fatal CODE MESSAGE
	echo "snf-setup: fatal: $2" >&2
	exit "$1"
}
usage() {
	fatal 100 "usage: snf-setup [-d dir] [-n] -u user"
}
while getopts d:nu: opt; do
	case $opt in
	d) dir=$OPTARG ;;
	n) dry=1 ;;
	u) user=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] && [ -n "$user" ] && [ -n "$dir" ] || usage
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac

uid=$(id -u "$user" 2>/dev/null) || fatal 100 "no such user: $user"
gid=$(id -g "$user") || fatal 100 "no group for user $user"
[ "$uid" -ne 0 ] ||
    fatal 100 "the service user cannot be root: snf-smtpd never runs as root"
[ "$gid" -ne 0 ] ||
    fatal 100 "$user's group is root's: give it a group of its own"
me=$(id -u)
[ "$me" -eq 0 ] || [ "$me" -eq "$uid" ] ||
    fatal 100 "run it as root, or as $user itself"

failed=0
say() {		# say WHAT PATH
	echo "${dry:+would be }$1	$2"
}
run() {		# run COMMAND...: done, unless -n
	[ -n "$dry" ] && return 0
	"$@" || failed=1
}

# the operator's folders: made, and writable by their owner only
for d in "" /control /domains; do
	p=$dir$d
	if [ -L "$p" ] && [ -n "$d" ]; then
		[ -d "$p" ] || fatal 100 "$p is a link to no folder"
	elif [ ! -e "$p" ]; then
		say made "$p"
		run mkdir -m 755 "$p"
	elif [ ! -d "$p" ]; then
		fatal 100 "$p is not a folder"
	fi
	if [ -d "$p" ] && [ -n "$(find "$p" -maxdepth 0 -perm /022)" ]; then
		say "made unwritable by group and others" "$p"
		run chmod go-w "$p"
	fi
done

# the service's folders: USER's, and only USER's
for d in queue cache; do
	p=$dir/$d
	[ ! -L "$p" ] || fatal 100 "$p is a symbolic link: refused"
	if [ ! -e "$p" ]; then
		say "made for $user" "$p"
		run mkdir -m 700 "$p"
		[ "$me" -eq "$uid" ] || run chown "$uid:$gid" "$p"
		continue
	fi
	[ -d "$p" ] || fatal 100 "$p is not a folder"
	if [ -n "$dry" ]; then
		find "$p" \( ! -user "$uid" -o ! -group "$gid" \) \
		    -printf "would give to $user\t%p\n"
		find "$p" ! -type l -perm /077 \
		    -printf "would remove group and other access\t%p\n"
		continue
	fi
	# -R walks with no link followed, folder by folder, so a name
	# swapped for a link meanwhile changes the link, never its target
	chown -R -P -c "$uid:$gid" "$p" || failed=1
	chmod -R -c go-rwx "$p" || failed=1
done
[ "$failed" -eq 0 ] || fatal 111 "some changes failed (see above)"
exit 0
