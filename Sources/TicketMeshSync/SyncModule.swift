enum SyncModule {}
