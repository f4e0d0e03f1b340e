# tlslib.sh - a throw-away certificate authority and certificates for
# the TLS tests (source it after lib.sh). Everything is made with
# openssl in $TLS, the test's own folder: a root CA (what a verifying
# client trusts), an intermediate CA that signs the servers'
# certificates (so that a server must send its chain), and for each
# name asked for a key, a certificate and the chain a server presents
# (its certificate, then the intermediate). Keys are EC P-256: quick to
# make. Nothing here is trusted by the system.

TLS=$T/tls

# tls_usable: openssl is there to make the certificates, and this build
# of snf has TLS (configure found libtls).
tls_usable() {
	command -v openssl >/dev/null 2>&1 &&
	    grep -q '^#define HAVE_TLS' "$SNF_TOP/common/config.h" 2>/dev/null
}

# tls_key FILE: a new private key in FILE.
tls_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>>"$TLS/openssl.log"
}

# tls_ca: $TLS/ca.crt (the root, self-signed, what clients trust) and
# $TLS/int.crt (the intermediate it signed), with their keys.
tls_ca() {
	mkdir -p "$TLS" || return 1
	printf '%s\n' '[ca]' 'basicConstraints = critical, CA:true' \
	    'keyUsage = critical, keyCertSign, cRLSign' \
	    'subjectKeyIdentifier = hash' \
	    'authorityKeyIdentifier = keyid:always' >"$TLS/ca.ext"
	tls_key "$TLS/ca.key" && tls_key "$TLS/int.key" &&
	    openssl req -x509 -new -key "$TLS/ca.key" -days 2 \
	    -subj "/O=snf tests/CN=snf test root CA" -addext \
	    "basicConstraints=critical,CA:true" -addext \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$TLS/ca.crt" 2>>"$TLS/openssl.log" &&
	    openssl req -new -key "$TLS/int.key" \
	    -subj "/O=snf tests/CN=snf test intermediate CA" \
	    -out "$TLS/int.csr" 2>>"$TLS/openssl.log" &&
	    openssl x509 -req -in "$TLS/int.csr" -CA "$TLS/ca.crt" \
	    -CAkey "$TLS/ca.key" -set_serial 2 -days 2 -extfile "$TLS/ca.ext" \
	    -extensions ca -out "$TLS/int.crt" 2>>"$TLS/openssl.log"
}

# tls_cert NAME[,NAME...] [FILE]: a key and a certificate for the names
# given, DNS names or IPv4 addresses (the first is the subject's CN;
# each is a subjectAltName), signed by the intermediate, with a new
# serial each time: $TLS/FILE.key, $TLS/FILE.crt and $TLS/FILE.pem (the
# chain a server sends: the certificate, then the intermediate). FILE
# is the first name when not given.
tls_cert() {
	_cn=${1%%,*}
	_f=$TLS/${2:-$_cn}
	_san=$(echo "$1" | tr ',' '\n' | sed '/^[0-9.]*$/s/^/IP:/; /^IP:/!s/^/DNS:/' |
	    paste -s -d , -)
	printf '%s\n' '[srv]' 'basicConstraints = critical, CA:false' \
	    'keyUsage = critical, digitalSignature' \
	    'extendedKeyUsage = serverAuth, clientAuth' \
	    "subjectAltName = $_san" >"$_f.ext"
	tls_key "$_f.key" &&
	    openssl req -new -key "$_f.key" -subj "/O=snf tests/CN=$_cn" \
	    -out "$_f.csr" 2>>"$TLS/openssl.log" &&
	    openssl x509 -req -in "$_f.csr" -CA "$TLS/int.crt" \
	    -CAkey "$TLS/int.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days 2 -extfile "$_f.ext" -extensions srv -out "$_f.crt" \
	    2>>"$TLS/openssl.log" &&
	    cat "$_f.crt" "$TLS/int.crt" >"$_f.pem"
}

# tls_broken FILE: FILE looks like a PEM private key and is none.
tls_broken() {
	printf '%s\n' '-----BEGIN PRIVATE KEY-----' \
	    'bm90IGEga2V5LCBqdXN0IGEgZmV3IGJ5dGVzIHRoYXQgbG9vayBsaWtlIG9uZQo=' \
	    '-----END PRIVATE KEY-----' >"$1"
}

# tls_serial FILE: the serial number of certificate FILE (hex, as
# openssl prints it).
tls_serial() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'
}

# tls_install DIR FILE [KEYFILE]: $TLS/FILE.pem as DIR's control/tls_cert
# and $TLS/FILE.key (or KEYFILE) as its control/tls_key, each put in
# place by a rename, as an operator's renewal would; the key is the
# service user's, mode 0600.
tls_install() {
	cp "$TLS/$2.pem" "$1/control/tls_cert.new" &&
	    chmod 644 "$1/control/tls_cert.new" &&
	    cp "${3:-$TLS/$2.key}" "$1/control/tls_key.new" &&
	    chmod 600 "$1/control/tls_key.new" &&
	    chown "$SVC_USER" "$1/control/tls_key.new" &&
	    mv "$1/control/tls_cert.new" "$1/control/tls_cert" &&
	    mv "$1/control/tls_key.new" "$1/control/tls_key"
}

# s_client PORT [OPTIONS...]: openssl s_client -starttls smtp to
# 127.0.0.1:PORT, trusting the test's root CA, its output (both
# streams) in $T/s_client.out; it says QUIT and ends. Status: openssl's.
s_client() {
	_p=$1
	shift
	printf 'QUIT\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$_p" \
	    -starttls smtp -name client.test -CAfile "$TLS/ca.crt" -showcerts \
	    -ign_eof "$@" >"$T/s_client.out" 2>&1
}
