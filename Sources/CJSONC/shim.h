#ifndef QGA_CJSONC_SHIM_H
#define QGA_CJSONC_SHIM_H
#include <json-c/json.h>
#endif
