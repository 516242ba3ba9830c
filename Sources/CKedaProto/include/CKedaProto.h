#ifndef CKEDA_PROTO_H
#define CKEDA_PROTO_H
/* KEDA marks targetSize and metricValue deprecated, but KEDA < 2.17 reads them:
   silence the deprecation attributes for Swift's import (a cSetting would not). */
#ifndef PROTOBUF_C__NO_DEPRECATED
#define PROTOBUF_C__NO_DEPRECATED 1
#endif
#include "externalscaler.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "kks_descriptor_set.h"
#endif
