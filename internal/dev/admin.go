package dev

// AdminPID is the central administrator of a development server when
// admin-pids names none: Åse Bjørnstad of the synthetic population
// (dev/population), who holds no role in any organisation, so that the
// administration pages can be tried at once. Anyone can log in as her
// through the ID-porten stand-in, which is why only --dev may use it, and
// why --dev listens on loopback only (config.CheckDev).
const AdminPID = "07839635529"

// Banner is the line a development server logs and prints on stderr when
// it starts, so that nobody mistakes it for a service to trust.
const Banner = "DEVELOPMENT MODE: stand-ins for ID-porten, remote signing, e-mail, SMS, the registers and the digital mailbox, " +
	"a development CA, and a fixed administrator (" + AdminPID + "); anyone can log in as anyone. Not for production."
