package loss

import _ "github.com/gomlx/compute/gobackend" // the pure-Go CPU backend for tests
