// Out-of-line anchor for the exception hierarchy (keeps vtables in one TU).
#include "core/errors.h"
