// libyaml's event parser. Linked statically on Linux (see Package.swift): libyaml-dev ships
// libyaml.a, so the shipped binary needs no extra runtime package.
#include <yaml.h>
