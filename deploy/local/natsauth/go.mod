module brokerload/natsauth

go 1.22.0

require (
	github.com/nats-io/jwt/v2 v2.5.8
	github.com/nats-io/nkeys v0.4.7
)

require (
	golang.org/x/crypto v0.19.0 // indirect
	golang.org/x/sys v0.17.0 // indirect
)
