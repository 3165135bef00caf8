/* Header-only module: Swift needs one C file to build the target. */
#include "CLinux.h"
