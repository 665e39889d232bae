// natsauth writes the NATS credentials of deploy/local/brokers.sh's secured mode, with the NATS
// libraries' own JWT and NKey code (nsc is not on the Go module proxy). Usage: natsauth DIR.
// It writes:
//
//	DIR/nkey-user.seed, nkey-user.pub  an NKey user (seed file, public key)
//	DIR/user.creds                     a JWT user of account BROKERLOAD (as `nats --creds`)
//	DIR/limited.creds                  a JWT user allowed only what docs/security.md lists,
//	                                   for topic_prefix brokerload-perm with 5 topics
//	DIR/operator.conf                  nats-server settings: operator, system account and a
//	                                   memory resolver preloaded with both accounts
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsauth:", err)
		os.Exit(1)
	}
	return v
}

func write(dir, name string, data []byte) {
	must(0, os.WriteFile(filepath.Join(dir, name), data, 0o600))
}

func account(name string, operator nkeys.KeyPair, jetstream bool) (nkeys.KeyPair, string, string) {
	kp := must(nkeys.CreateAccount())
	pub := must(kp.PublicKey())
	claims := jwt.NewAccountClaims(pub)
	claims.Name = name
	if jetstream {
		claims.Limits.JetStreamLimits = jwt.JetStreamLimits{
			MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1,
		}
	}
	return kp, pub, must(claims.Encode(operator))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: natsauth DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	must(0, os.MkdirAll(dir, 0o700))

	nkeyUser := must(nkeys.CreateUser())
	write(dir, "nkey-user.seed", append(must(nkeyUser.Seed()), '\n'))
	write(dir, "nkey-user.pub", []byte(must(nkeyUser.PublicKey())+"\n"))

	operator := must(nkeys.CreateOperator())
	operatorClaims := jwt.NewOperatorClaims(must(operator.PublicKey()))
	operatorClaims.Name = "brokerload-local"
	_, sysPub, sysJWT := account("SYS", operator, false)
	operatorClaims.SystemAccount = sysPub
	operatorJWT := must(operatorClaims.Encode(operator))
	accountKey, accountPub, accountJWT := account("BROKERLOAD", operator, true)

	user := must(nkeys.CreateUser())
	userClaims := jwt.NewUserClaims(must(user.PublicKey()))
	userClaims.Name = "brokerload"
	userClaims.IssuerAccount = ""
	userJWT := must(userClaims.Encode(accountKey))
	write(dir, "user.creds", must(jwt.FormatUserConfig(userJWT, must(user.Seed()))))

	// The permissions docs/security.md says brokerload needs, and no more.
	limited := must(nkeys.CreateUser())
	limitedClaims := jwt.NewUserClaims(must(limited.PublicKey()))
	limitedClaims.Name = "brokerload-limited"
	limitedClaims.Pub.Allow.Add("$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.NAMES",
		"$JS.API.STREAM.CREATE.*", "$JS.API.CONSUMER.CREATE.>", "$JS.API.CONSUMER.DELETE.>",
		"$JS.API.CONSUMER.INFO.>", "$JS.ACK.>", "$JS.FC.>")
	for i := 0; i < 5; i++ {
		limitedClaims.Pub.Allow.Add(fmt.Sprintf("brokerload-perm-%d", i))
	}
	limitedClaims.Sub.Allow.Add("_INBOX.>")
	limitedJWT := must(limitedClaims.Encode(accountKey))
	write(dir, "limited.creds", must(jwt.FormatUserConfig(limitedJWT, must(limited.Seed()))))

	conf := fmt.Sprintf("operator: %q\nsystem_account: %s\nresolver: MEMORY\n"+
		"resolver_preload: {\n  %s: %q\n  %s: %q\n}\n",
		operatorJWT, sysPub, sysPub, sysJWT, accountPub, accountJWT)
	write(dir, "operator.conf", []byte(conf))
}
