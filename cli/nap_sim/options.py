"""The command line of `ecoc nap-sim` (kept free of heavy imports: every `ecoc` command builds its parser)."""


def add_arguments(parser, defaults):
    parser.add_argument("--dir", default=defaults["dir"], help="where the simulator's CA and certificates live "
                                                               "(made when missing)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port to listen on")
    parser.add_argument("--public-url", help="the endpoint URL the WSDL names (default https://HOST:PORT/nap)")
    parser.add_argument("--server-name", action="append", help="a host name or IP of the server certificate "
                                                                "(repeat; default localhost and 127.0.0.1)")
    parser.add_argument("--client", action="append", help="issue a client certificate for this name (repeat)")
    parser.add_argument("--trust", action="append", default=None,
                        help="a trusted seal certificate (PEM file) or a directory of them (repeat; default the "
                             "seal keys directory, ECOC_KEYS_DIR)")
    parser.add_argument("--schema", default=defaults["schema"], help="the IVI 2.0 XSD (default ECOC_IVI_SCHEMA)")
    parser.add_argument("--rules", default=None, help="plausibility rules to apply, comma-separated "
                                                      "(default vin,mass; empty for none)")
    parser.add_argument("--latency-ms", type=int, default=0, help="answer every submission this much later")
    parser.add_argument("--transient-rate", type=float, default=0.0, help="share of attempts failing transiently")
    parser.add_argument("--transient-vin", help="regex on VIN/version: these always fail transiently")
    parser.add_argument("--reject-rate", type=float, default=0.0, help="share of messages rejected")
    parser.add_argument("--reject-vin", help="regex on VIN/version: these are rejected (e.g. '/1$')")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="share of messages whose first attempt is slow")
    parser.add_argument("--slow-ms", type=int, default=0, help="how much longer such a first attempt takes")
    parser.add_argument("--down-seconds", type=float, default=0.0, help="refuse connections this long at start")
    parser.add_argument("--seed", default="ecoc", help="seed of the rate decisions")
