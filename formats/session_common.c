#include "tendo_session.h"
